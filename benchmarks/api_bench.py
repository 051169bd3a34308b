"""Benchmark: GET /admin/api/me with a valid token under gunicorn (2 workers) beside a bare hello.

    python benchmarks/api_bench.py [--database-uri URI] [--seconds 5] [--rounds 3]

Every API request runs all its checks: signature (cached verdict), claims, and the one indexed
query for revocation, owner and membership. The floor is benchmarks/bare_hello_app.py. Both are
loaded by wrk in alternating rounds (benchmarks/harness.py); prints requests per second, errors
and our share of the floor's rate (target: at least 60 %). Exit status 1 when any response was
an error.
"""

import json
import sys
import urllib.request
from urllib.parse import urlencode

import harness

TARGET = 0.60


def fetch_token(port: int, client_id: str, secret: str) -> str:
    """A token from the served /oauth2-token (body credentials)."""
    data = urlencode(
        {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    ).encode()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/oauth2-token", data, timeout=10) as r:
        return json.load(r)["access_token"]


def targets_for(ours_port, floor_port, client_id, secret, workdir):
    """GET /hello on the floor; GET /admin/api/me with a token from our token endpoint."""
    token = fetch_token(ours_port, client_id, secret)
    api = harness.wrk_script(workdir / "api.lua", "GET", {"Authorization": f"Bearer {token}"})
    hello = harness.wrk_script(workdir / "hello.lua", "GET", {})
    return (
        harness.Target("bare Flask hello", f"http://127.0.0.1:{floor_port}/hello", hello),
        harness.Target("GET /admin/api/me", f"http://127.0.0.1:{ours_port}/admin/api/me", api),
    )


if __name__ == "__main__":
    sys.exit(
        harness.main(__doc__, "API", "benchmarks.bare_hello_app:app", 5.0, TARGET, targets_for)
    )
