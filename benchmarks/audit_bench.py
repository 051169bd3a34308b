"""What the audit costs the token endpoint: POST /oauth2-token in-process, with and without it.

    python benchmarks/audit_bench.py [--requests 100] [--rounds 21] [--database-uri URI]
                                     [--root DIR]

Each request goes through the test client and its response is closed, as a WSGI server does
(closing is when a due batch of audit rows is written), so the figures include the writes.
Modes, in interleaved rounds in one process:
- "audit": as shipped (rows buffered per process, one INSERT per AUDIT_BATCH_SIZE requests);
- "no audit": `services.audit.record` replaced by a no-op, i.e. the token path without the
  audit (what this branch adds besides it is the failure reason, the same work as before);
- "audit, batch 1": AUDIT_BATCH_SIZE=1, a write after every response, for comparison.
`--root DIR` measures the token endpoint of another checkout instead (e.g. /work/main, before
the audit existed), in a process of its own. Prints, per mode, the fastest round (timeit's
rule: on a shared machine the others only add other processes' noise) and the median.
"""

import argparse
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100, help="requests per round and mode")
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--database-uri", help="an empty database (default: SQLite, temporary)")
    parser.add_argument("--root", help="import oauthsrv from this checkout instead")
    parser.add_argument(
        "--only",
        choices=["audit", "no audit"],
        help="one mode, one round, nothing printed (for callgrind: see docs/administration.md)",
    )
    parser.add_argument("--keys", help="a directory with private.key and public.key to reuse")
    return parser.parse_args()


def build(root: Path, workdir: Path, uri: str | None, keys_from: str | None = None):
    """A migrated database with keys, a user and an application; the app and its credentials."""
    sys.path.insert(0, str(root))
    from flask_migrate import upgrade

    from oauthsrv import create_app
    from oauthsrv.services import accounts, applications, keys

    if keys_from:  # the same key every run: key generation's work varies with the primes
        for name in ("private.key", "public.key"):
            shutil.copy(Path(keys_from) / name, workdir / name)
    app = create_app(
        {
            "SECRET_KEY": secrets.token_urlsafe(16),
            "SQLALCHEMY_DATABASE_URI": uri or f"sqlite:///{workdir / 'bench.db'}",
            "OAUTH_PRIVATE_KEY_PATH": str(workdir / "private.key"),
            "OAUTH_PUBLIC_KEY_PATH": str(workdir / "public.key"),
            "MAIL_FILE_DIRECTORY": str(workdir / "mail"),
            "OAUTH_ISSUER": "http://127.0.0.1",
            # Batches are written by size only, as under any real load (200 rows fill in well
            # under the 2 s timer): under callgrind, 50 times slower, the timer would otherwise
            # write a small batch every 2 s and count those writes as the audit's cost.
            "AUDIT_FLUSH_SECONDS": 3600,
        }
    )
    with app.app_context():
        upgrade(directory=str(root / "migrations"))
        if not keys_from:
            keys.generate_keys()
        user = accounts.create_user("bench@example.com", "bench-password", "Bench", ["Bench"])
        application, secret = applications.create_application(
            user, user.organizations[0], "Bench", created_by="bench"
        )
        return app, application.client_id, secret


def run_round(client, data: dict, count: int) -> float:
    """Seconds per request over `count` token requests (responses closed)."""
    started = time.process_time()
    for _ in range(count):
        response = client.post("/oauth2-token", data=data)
        response.close()
        if response.status_code != 200:
            raise SystemExit(f"token request failed: {response.status_code}")
    return (time.process_time() - started) / count


def main() -> int:
    args = parse_args()
    import logging

    logging.disable(logging.INFO)  # one log line per request would dominate the figures
    root = Path(args.root).resolve() if args.root else Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as tmp:
        app, client_id, secret = build(root, Path(tmp), args.database_uri, args.keys)
        data = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
        client = app.test_client()
        try:
            from oauthsrv.services import audit
        except ImportError:
            audit = None
        modes = {"token endpoint": lambda: None}
        if audit is not None and not args.root:
            shipped_record = audit.record
            batch = app.config["AUDIT_BATCH_SIZE"]

            def shipped():
                audit.record, app.config["AUDIT_BATCH_SIZE"] = shipped_record, batch

            def disabled():
                audit.record = lambda *a, **k: None

            def every_response():
                audit.record, app.config["AUDIT_BATCH_SIZE"] = shipped_record, 1

            modes = {"no audit": disabled, "audit": shipped, "audit, batch 1": every_response}
        if args.only:  # with --root there is one mode: that checkout's token endpoint
            modes = {args.only: modes.get(args.only, next(iter(modes.values())))}
        with app.app_context():
            run_round(client, data, 200)  # warm-up: caches, prepared statements, JIT-less paths
            if args.only:
                modes[args.only]()
                run_round(client, data, args.requests)
                return 0
            figures = {name: [] for name in modes}
            for _ in range(args.rounds):
                for name, switch in modes.items():
                    switch()
                    figures[name].append(run_round(client, data, args.requests))
            if audit is not None and not args.root:
                shipped()
                audit.flush()
    first = figures[next(iter(modes))]
    print(f"{args.requests} requests x {args.rounds} rounds, checkout {root}")
    for name, values in figures.items():
        best, median = min(values), statistics.median(values)
        best_change = (best / min(first) - 1) * 100
        median_change = (median / statistics.median(first) - 1) * 100
        print(
            f"  {name:16} best {best * 1e6:7.1f} µs/request ({best_change:+.1f} %)"
            f"   median {median * 1e6:7.1f} ({median_change:+.1f} %)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
