"""Benchmark: POST /oauth2-token under gunicorn (2 workers) beside a bare RS256-signing endpoint.

    python benchmarks/token_bench.py [--database-uri URI] [--seconds 8] [--rounds 2] [--clients 4]

Both servers run in the same run, on 127.0.0.1 only, and are measured alternately (bare, ours,
bare, ours, ...) so that other load on the machine hits both alike. Prints requests per second,
error counts and our share of the bare endpoint's rate (target: at least 80 %), then stops
everything it started. The database (SQLite by default, in a temporary directory) gets its own
organization, user and application, removed again at the end.
"""

import argparse
import base64
import http.client
import multiprocessing
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BODY = b"grant_type=client_credentials"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare(env: dict, tag: str) -> tuple[str, str]:
    """Migrate the database, write the keys and create an application; return its credentials."""
    os.environ.update(env)
    from flask_migrate import upgrade

    from oauthsrv import create_app
    from oauthsrv.extensions import db
    from oauthsrv.services import accounts, applications, keys

    app = create_app()
    with app.app_context():
        upgrade()
        keys.generate_keys(force=True)
        user = accounts.create_user(f"{tag}@bench.example", secrets.token_urlsafe(), "Bench", [tag])
        application, secret = applications.create_application(
            user, user.organizations[0], "Bench", created_by="benchmark"
        )
        client_id = application.client_id
        db.engine.dispose()
    return client_id, secret


def cleanup(tag: str) -> None:
    """Remove the benchmark's user, organization and application from the database."""
    from oauthsrv import create_app
    from oauthsrv.extensions import db
    from oauthsrv.services import accounts

    app = create_app()
    with app.app_context():
        user = accounts.find_user(f"{tag}@bench.example")
        organization = accounts.find_organization(tag)
        for row in (user, organization):
            if row is not None:
                db.session.delete(row)
                db.session.commit()
        db.engine.dispose()


def start_gunicorn(module: str, port: int, env: dict, log_path: Path) -> subprocess.Popen:
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "--workers=2",
        f"--bind=127.0.0.1:{port}",
        "--log-level=warning",
        module,
    ]
    log = open(log_path, "wb")  # noqa: SIM115  (closed when the process is stopped)
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)


def wait_ready(port: int, path: str, method: str = "GET", timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request(method, path, body=b"" if method == "POST" else None)
            connection.getresponse().read()
            connection.close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server on port {port} did not start")


def client_loop(port, path, headers, seconds, results) -> None:
    """One load-generating process: sequential requests for `seconds`; counts outcomes."""
    ok = errors = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request("POST", path, body=BODY, headers=headers)
            response = connection.getresponse()
            response.read()
            connection.close()
            ok, errors = (ok + 1, errors) if response.status == 200 else (ok, errors + 1)
        except OSError:
            errors += 1
    results.put((ok, errors))


def measure(port, path, headers, seconds, clients) -> tuple[float, int, int]:
    """Requests per second (200s only) and error count with `clients` concurrent processes."""
    results = multiprocessing.Queue()
    processes = [
        multiprocessing.Process(target=client_loop, args=(port, path, headers, seconds, results))
        for _ in range(clients)
    ]
    started = time.monotonic()
    for process in processes:
        process.start()
    totals = [results.get() for _ in processes]
    for process in processes:
        process.join()
    elapsed = time.monotonic() - started
    ok = sum(t[0] for t in totals)
    errors = sum(t[1] for t in totals)
    return ok / elapsed, ok, errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-uri", help="default: SQLite in a temporary directory")
    parser.add_argument("--seconds", type=float, default=8.0, help="per measurement")
    parser.add_argument("--rounds", type=int, default=2, help="alternating measurements each")
    parser.add_argument("--clients", type=int, default=4, help="concurrent client processes")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="token-bench-"))
    uri = args.database_uri or f"sqlite:///{tmp / 'bench.db'}"
    tag = f"bench-{secrets.token_hex(4)}"
    env = {
        **os.environ,
        "OAUTHSRV_SQLALCHEMY_DATABASE_URI": uri,
        "OAUTHSRV_SECRET_KEY": secrets.token_urlsafe(32),
        "OAUTHSRV_OAUTH_PRIVATE_KEY_PATH": str(tmp / "private.key"),
        "OAUTHSRV_OAUTH_PUBLIC_KEY_PATH": str(tmp / "public.key"),
        "OAUTHSRV_RATELIMIT_STORAGE_URI": "memory://",
        "BENCH_PRIVATE_KEY": str(tmp / "private.key"),
    }
    client_id, secret = prepare(env, tag)
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    headers = {
        "Authorization": f"Basic {basic}",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    ours_port, bare_port = free_port(), free_port()
    servers = [
        start_gunicorn("wsgi:app", ours_port, env, tmp / "ours.log"),
        start_gunicorn("benchmarks.bare_jwt_app:app", bare_port, env, tmp / "bare.log"),
    ]
    try:
        wait_ready(ours_port, "/.well-known/jwks.json")
        wait_ready(bare_port, "/token", method="POST")
        targets = {"bare": (bare_port, "/token"), "ours": (ours_port, "/oauth2-token")}
        for port, path in targets.values():  # warm-up: imports, connections, caches
            measure(port, path, headers, 2.0, args.clients)
        runs = {name: [] for name in targets}
        for _ in range(args.rounds):
            for name, (port, path) in targets.items():
                runs[name].append(measure(port, path, headers, args.seconds, args.clients))
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)
        cleanup(tag)
    report(uri, args, runs)


def report(uri, args, runs) -> None:
    database = "PostgreSQL" if uri.startswith("postgresql") else "SQLite"
    print(
        f"token benchmark: gunicorn -w 2, {args.clients} clients, "
        f"{args.rounds} x {args.seconds:g} s each, database {database}"
    )
    rates = {}
    for name, results in runs.items():
        rate = sum(r[0] for r in results) / len(results)
        errors = sum(r[2] for r in results)
        rates[name] = rate
        label = "bare RS256 Flask endpoint" if name == "bare" else "POST /oauth2-token"
        per_round = ", ".join(f"{r[0]:.0f}" for r in results)
        print(f"  {label:<27} {rate:8.1f} req/s  (rounds: {per_round})  errors: {errors}")
    share = rates["ours"] / rates["bare"] if rates["bare"] else 0
    print(f"  ours / bare: {share:.0%} (target >= 80 %)")


if __name__ == "__main__":
    main()
