"""Benchmark: POST /oauth2-token under gunicorn (2 workers) beside a bare RS256-signing endpoint.

    python benchmarks/token_bench.py [--database-uri URI] [--seconds 8] [--rounds 3]

The floor (benchmarks/bare_jwt_app.py) signs a token of the same shape with the same key and
answers like the token endpoint, with none of the work around it. Both are loaded by wrk in
alternating rounds (benchmarks/harness.py); prints requests per second, errors and our share of
the floor's rate (target: at least 80 %). Exit status 1 when any response was an error.
"""

import base64
import sys

import harness

TARGET = 0.80


def targets_for(ours_port, floor_port, client_id, secret, workdir):
    """The same client-credentials POST (Basic credentials) to both servers."""
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    headers = {
        "Authorization": f"Basic {basic}",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    body = "grant_type=client_credentials"
    script = harness.wrk_script(workdir / "token.lua", "POST", headers, body)
    return (
        harness.Target("bare RS256 Flask endpoint", f"http://127.0.0.1:{floor_port}/token", script),
        harness.Target("POST /oauth2-token", f"http://127.0.0.1:{ours_port}/oauth2-token", script),
    )


if __name__ == "__main__":
    sys.exit(
        harness.main(__doc__, "token", "benchmarks.bare_jwt_app:app", 8.0, TARGET, targets_for)
    )
