"""Benchmark: GET /admin/api/me with a valid token under gunicorn (2 workers) beside a bare hello.

    python benchmarks/api_bench.py [--database-uri URI] [--seconds 5] [--rounds 3]

Every API request runs all its checks: signature (cached verdict), claims, and the one indexed
query for revocation, owner and membership. The floor is benchmarks/bare_hello_app.py. Both are
loaded by wrk in alternating rounds (benchmarks/harness.py); prints requests per second, errors
and our share of the floor's rate (target: at least 60 %). Exit status 1 when any response was
an error.
"""

import argparse
import json
import secrets
import sys
import tempfile
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

import harness

TARGET = 0.60


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-uri", help="default: SQLite in a temporary directory")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each round")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per server")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="api-bench-") as tmp:
        return run(args, Path(tmp))


def fetch_token(port: int, client_id: str, secret: str) -> str:
    """A token from the served /oauth2-token (body credentials)."""
    data = urlencode(
        {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    ).encode()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/oauth2-token", data, timeout=10) as r:
        return json.load(r)["access_token"]


def run(args, workdir: Path) -> int:
    uri = args.database_uri or f"sqlite:///{workdir / 'bench.db'}"
    env = harness.server_env(workdir, uri)
    tag = f"bench-{secrets.token_hex(4)}"
    client_id, secret = harness.prepare(env, tag)
    ours_port, hello_port = harness.free_port(), harness.free_port()
    servers = [
        harness.start_gunicorn("wsgi:app", ours_port, env, workdir / "ours.log"),
        harness.start_gunicorn(
            "benchmarks.bare_hello_app:app", hello_port, env, workdir / "hello.log"
        ),
    ]
    try:
        token = fetch_token(ours_port, client_id, secret)
        api = harness.wrk_script(workdir / "api.lua", "GET", {"Authorization": f"Bearer {token}"})
        hello = harness.wrk_script(workdir / "hello.lua", "GET", {})
        targets = [
            harness.Target("bare Flask hello", f"http://127.0.0.1:{hello_port}/hello", hello),
            harness.Target("GET /admin/api/me", f"http://127.0.0.1:{ours_port}/admin/api/me", api),
        ]
        results = harness.alternate(targets, args.rounds, args.seconds)
    finally:
        harness.stop(servers)
        harness.cleanup(tag)
    title = (
        f"API benchmark: gunicorn -w {harness.WORKERS}, wrk {harness.CONNECTIONS} connections, "
        f"{args.rounds} x {args.seconds:g} s each, database {harness.database_label(uri)}"
    )
    clean = harness.report(title, results, targets[0].name, targets[1].name, TARGET)
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())
