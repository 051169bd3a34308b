"""The floor for the API benchmark: a bare Flask app with one endpoint that says hello."""

from flask import Flask

app = Flask(__name__)


@app.get("/hello")
def hello():
    """The least a Flask endpoint can do."""
    return "hello"
