"""The floors for the API benchmark: a bare Flask hello, and the same hello after one read.

`GET /hello` is the least a Flask endpoint can do; `GET /hello-read` first reads the client's
row the way every API call must (benchmarks/bare_read.py), so it is the floor for an API that
revokes immediately.
"""

from flask import Flask, abort

from benchmarks.bare_read import read_client

app = Flask(__name__)


@app.get("/hello")
def hello():
    """The least a Flask endpoint can do."""
    return "hello"


@app.get("/hello-read")
def hello_read():
    """Hello, after the one read of the client's row."""
    if read_client() is None:
        abort(404)
    return "hello"
