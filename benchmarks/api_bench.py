"""Requests per second of GET /admin/api/me (valid token, every revocation check) under gunicorn
with 2 workers, beside a bare Flask "hello" endpoint under the same gunicorn, in the same run.

Usage: python benchmarks/api_bench.py [--database-uri URI] [--seconds 5] [--rounds 2]
       [--connections 4]

SQLite in a temporary directory unless --database-uri names an empty database (PostgreSQL).
Both servers bind 127.0.0.1 on free ports and are stopped at the end. The load generator sends
GET requests over fresh TCP connections (gunicorn's sync workers close each one) from a few
threads for a fixed time, alternating hello and API rounds so that noise from other work on the
machine hits both. Prints requests/s, error counts and the ratio (target: at least 60 %).
"""

import argparse
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGET = 0.60
WORKERS = 2


def hello_app():
    """The floor: a bare Flask app with one endpoint (gunicorn 'api_bench:hello_app()')."""
    from flask import Flask

    app = Flask("hello")
    app.add_url_rule("/hello", "hello", lambda: "hello")
    return app


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(workdir: Path, database_uri: str) -> dict:
    """Settings for the served app, through OAUTHSRV_* variables (as in production)."""
    return {
        **os.environ,
        "OAUTHSRV_SQLALCHEMY_DATABASE_URI": database_uri,
        "OAUTHSRV_SECRET_KEY": "bench-secret-key",
        "OAUTHSRV_OAUTH_PRIVATE_KEY_PATH": str(workdir / "private.key"),
        "OAUTHSRV_OAUTH_PUBLIC_KEY_PATH": str(workdir / "public.key"),
        "OAUTHSRV_MAIL_FILE_DIRECTORY": str(workdir / "mail"),
        "OAUTHSRV_RATELIMIT_STORAGE_URI": "memory://",
    }


def prepare(env: dict) -> tuple[str, str]:
    """Migrate, generate keys, create an owner and a backend application; return credentials."""
    os.environ.update({k: v for k, v in env.items() if k.startswith("OAUTHSRV_")})
    from flask_migrate import upgrade
    from sqlalchemy import inspect

    from oauthsrv import create_app
    from oauthsrv.extensions import db
    from oauthsrv.services import accounts, applications, keys

    app = create_app()
    with app.app_context():
        if inspect(db.engine).get_table_names():
            sys.exit("The database is not empty; give the benchmark an empty one.")
        upgrade()
        keys.generate_keys()
        owner = accounts.create_user("bench@example.com", secrets.token_urlsafe(), "Bench", ["B"])
        application, secret = applications.create_application(
            owner, owner.organizations[0], "Bench", created_by="bench"
        )
        client_id = application.client_id
        db.engine.dispose()
    return client_id, secret


def start_gunicorn(target: str, port: int, env: dict, chdir: Path) -> subprocess.Popen:
    """gunicorn with 2 sync workers on 127.0.0.1:port, waiting until it answers."""
    command = [
        sys.executable, "-m", "gunicorn", "-w", str(WORKERS), "-b", f"127.0.0.1:{port}",
        "--chdir", str(chdir), "--log-level", "warning", target,
    ]  # fmt: skip
    process = subprocess.Popen(command, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.1)
    process.terminate()
    sys.exit(f"gunicorn {target} did not start")


def fetch_token(port: int, client_id: str, secret: str) -> str:
    """A token from the served /oauth2-token (body credentials)."""
    import json
    from urllib.parse import urlencode

    data = urlencode(
        {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    ).encode()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/oauth2-token", data, timeout=10) as r:
        return json.load(r)["access_token"]


def request_bytes(port: int, path: str, token: str | None = None) -> bytes:
    lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close"]
    if token:
        lines.append(f"Authorization: Bearer {token}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def one_request(port: int, payload: bytes) -> bool:
    """Send one request on a new connection; True for a 200 read in full."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(payload)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks).startswith(b"HTTP/1.1 200 ")


def load(port: int, payload: bytes, seconds: float, connections: int) -> tuple[float, int, int]:
    """Requests/s, successes and errors from `connections` threads during `seconds`."""
    counts = [[0, 0] for _ in range(connections)]
    stop = time.monotonic() + seconds

    def worker(count):
        while time.monotonic() < stop:
            try:
                ok = one_request(port, payload)
            except OSError:
                ok = False
            count[0 if ok else 1] += 1

    threads = [threading.Thread(target=worker, args=(c,)) for c in counts]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    ok, errors = sum(c[0] for c in counts), sum(c[1] for c in counts)
    return (ok + errors) / elapsed, ok, errors


def run(args, workdir: Path) -> int:
    database_uri = args.database_uri or f"sqlite:///{workdir / 'bench.db'}"
    env = server_env(workdir, database_uri)
    client_id, secret = prepare(env)
    hello_port, api_port = free_port(), free_port()
    servers = [
        start_gunicorn("api_bench:hello_app()", hello_port, env, ROOT / "benchmarks"),
        start_gunicorn("wsgi:app", api_port, env, ROOT),
    ]
    try:
        token = fetch_token(api_port, client_id, secret)
        targets = {
            "hello": (hello_port, request_bytes(hello_port, "/hello")),
            "api": (api_port, request_bytes(api_port, "/admin/api/me", token)),
        }
        return report(measure(targets, args), database_uri)
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)


def measure(targets: dict, args) -> dict:
    """Alternate hello and API rounds after a warm-up; sum requests/s and errors per target."""
    for port, payload in targets.values():
        load(port, payload, 1.0, args.connections)
    results = {name: [] for name in targets}
    for _ in range(args.rounds):
        for name, (port, payload) in targets.items():
            results[name].append(load(port, payload, args.seconds, args.connections))
    return results


def report(results: dict, database_uri: str) -> int:
    database = database_uri.split(":", 1)[0]
    print(f"database: {database}; gunicorn {WORKERS} sync workers; rounds: {results['api']}")
    rates = {}
    for name, rounds in results.items():
        rate = sum(r[0] for r in rounds) / len(rounds)
        errors = sum(r[2] for r in rounds)
        rates[name] = rate
        print(f"  {name:6} {rate:8.0f} requests/s  errors: {errors}")
    ratio = rates["api"] / rates["hello"]
    verdict = "meets" if ratio >= TARGET else "BELOW"
    print(f"  GET /admin/api/me: {ratio:.0%} of hello ({verdict} the {TARGET:.0%} target)")
    return 0 if ratio >= TARGET and not any(r[2] for rs in results.values() for r in rs) else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-uri", help="an empty database (default: SQLite in a tmp dir)")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each round")
    parser.add_argument("--rounds", type=int, default=2, help="hello/API round pairs")
    parser.add_argument("--connections", type=int, default=4, help="concurrent client threads")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="api-bench-") as workdir:
        return run(args, Path(workdir))


if __name__ == "__main__":
    sys.exit(main())
