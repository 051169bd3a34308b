"""Benchmark: POST /oauth2-token under gunicorn (2 workers) beside a bare RS256-signing endpoint.

    python benchmarks/token_bench.py [--database-uri URI] [--seconds 8] [--rounds 3]

The floor (benchmarks/bare_jwt_app.py) signs a token of the same shape with the same key and
answers like the token endpoint, with none of the work around it. Both are loaded by wrk in
alternating rounds (benchmarks/harness.py); prints requests per second, errors and our share of
the floor's rate (target: at least 80 %). Exit status 1 when any response was an error.
"""

import argparse
import base64
import secrets
import sys
import tempfile
from pathlib import Path

import harness

TARGET = 0.80


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-uri", help="default: SQLite in a temporary directory")
    parser.add_argument("--seconds", type=float, default=8.0, help="length of each round")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per server")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="token-bench-") as tmp:
        return run(args, Path(tmp))


def run(args, workdir: Path) -> int:
    uri = args.database_uri or f"sqlite:///{workdir / 'bench.db'}"
    env = harness.server_env(workdir, uri)
    tag = f"bench-{secrets.token_hex(4)}"
    client_id, secret = harness.prepare(env, tag)
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    headers = {
        "Authorization": f"Basic {basic}",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    script = harness.wrk_script(
        workdir / "token.lua", "POST", headers, "grant_type=client_credentials"
    )
    ours_port, bare_port = harness.free_port(), harness.free_port()
    servers = [
        harness.start_gunicorn("wsgi:app", ours_port, env, workdir / "ours.log"),
        harness.start_gunicorn("benchmarks.bare_jwt_app:app", bare_port, env, workdir / "bare.log"),
    ]
    try:
        targets = [
            harness.Target(
                "bare RS256 Flask endpoint", f"http://127.0.0.1:{bare_port}/token", script
            ),
            harness.Target(
                "POST /oauth2-token", f"http://127.0.0.1:{ours_port}/oauth2-token", script
            ),
        ]
        results = harness.alternate(targets, args.rounds, args.seconds)
    finally:
        harness.stop(servers)
        harness.cleanup(tag)
    title = (
        f"token benchmark: gunicorn -w {harness.WORKERS}, wrk {harness.CONNECTIONS} connections, "
        f"{args.rounds} x {args.seconds:g} s each, database {harness.database_label(uri)}"
    )
    clean = harness.report(title, results, targets[0].name, targets[1].name, TARGET)
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())
