"""Benchmark: GET /admin/api/me with a valid token beside a bare hello with and without the read.

    python benchmarks/api_bench.py [--database sqlite|postgresql] [--seconds S] [--rounds N]
                                   [--no-pin] [--database-uri URI]

Every API request runs all its checks: signature (cached verdict), claims, and the one indexed
query for revocation, owner and membership. The references are benchmarks/bare_hello_app.py's
`/hello` and `/hello-read` (the same single read of the client's row, then hello).
Target: at least 70 % of "hello + read".
"""

import json
import sys
import urllib.request
from urllib.parse import urlencode

import harness
import ratios


def fetch_token(stack: harness.Stack) -> str:
    """A token from the served /oauth2-token (body credentials)."""
    data = urlencode(
        {
            "grant_type": "client_credentials",
            "client_id": stack.client_id,
            "client_secret": stack.secret,
        }
    ).encode()
    # A worker's first token request loads the signing key: seconds on a busy core.
    with urllib.request.urlopen(stack.url(stack.ours, "/oauth2-token"), data, timeout=120) as r:
        return json.load(r)["access_token"]


def targets(stack: harness.Stack) -> list[harness.Target]:
    token = fetch_token(stack)
    api = harness.wrk_script(stack.workdir / "api.lua", "GET", {"Authorization": f"Bearer {token}"})
    hello = harness.wrk_script(stack.workdir / "hello.lua", "GET", {})
    return [
        harness.Target("GET /admin/api/me", stack.url(stack.ours, "/admin/api/me"), api),
        harness.Target("bare hello + read", stack.url(stack.bare_hello, "/hello-read"), hello),
        harness.Target("bare hello", stack.url(stack.bare_hello, "/hello"), hello),
    ]


API = ratios.Benchmark("GET /admin/api/me", 0.70, targets)

if __name__ == "__main__":
    sys.exit(ratios.main(__doc__, [API]))
