"""What the HTTP benchmarks share: a database with one application, gunicorn servers and wrk.

Each benchmark serves our app and a bare Flask floor under the same gunicorn (2 sync workers) on
127.0.0.1, warms both up, then measures them in alternating rounds (floor, ours, floor, ours, …)
so that other load on the machine hits both alike. The load comes from wrk (Debian's `wrk`
package: `make bench-*` installs it when missing), one thread and four connections: a C client
takes a few percent of one core, so the servers decide the rates. The Python load generators
used before took most of a core on the same two cores and so flattered whichever server was
slower (docs/tokens.md, "Performance"). Everything started here is stopped at the end; the
benchmark's organization, user and application are removed again.
"""

import argparse
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORKERS = 2
CONNECTIONS = 4


@dataclass(frozen=True)
class Measurement:
    """One wrk round against one server."""

    rate: float  # successful (2xx) responses per second
    ok: int
    errors: int  # non-2xx responses and socket errors


@dataclass(frozen=True)
class Target:
    """A server to load: its port and the wrk script that shapes each request."""

    name: str
    url: str
    script: Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(workdir: Path, database_uri: str) -> dict:
    """Settings for the served apps, through OAUTHSRV_* variables (as in production)."""
    return {
        **os.environ,
        "OAUTHSRV_SQLALCHEMY_DATABASE_URI": database_uri,
        "OAUTHSRV_SECRET_KEY": secrets.token_urlsafe(32),
        "OAUTHSRV_OAUTH_PRIVATE_KEY_PATH": str(workdir / "private.key"),
        "OAUTHSRV_OAUTH_PUBLIC_KEY_PATH": str(workdir / "public.key"),
        "OAUTHSRV_MAIL_FILE_DIRECTORY": str(workdir / "mail"),
        "OAUTHSRV_RATELIMIT_STORAGE_URI": "memory://",
        "BENCH_PRIVATE_KEY": str(workdir / "private.key"),
    }


def prepare(env: dict, tag: str) -> tuple[str, str]:
    """Migrate, write the keys, create an owner and a backend application; its credentials."""
    os.environ.update({k: v for k, v in env.items() if k.startswith("OAUTHSRV_")})
    from flask_migrate import upgrade

    from oauthsrv import create_app
    from oauthsrv.extensions import db
    from oauthsrv.services import accounts, applications, keys

    app = create_app()
    with app.app_context():
        upgrade()
        keys.generate_keys(force=True)
        owner = accounts.create_user(
            f"{tag}@bench.example", secrets.token_urlsafe(), "Bench", [tag]
        )
        application, secret = applications.create_application(
            owner, owner.organizations[0], "Bench", created_by="benchmark"
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
        for row in (accounts.find_user(f"{tag}@bench.example"), accounts.find_organization(tag)):
            if row is not None:
                db.session.delete(row)
                db.session.commit()
        db.engine.dispose()


def start_gunicorn(target: str, port: int, env: dict, log_path: Path) -> subprocess.Popen:
    """gunicorn with WORKERS sync workers on 127.0.0.1:port, once it accepts connections."""
    command = [
        sys.executable, "-m", "gunicorn", f"--workers={WORKERS}", f"--bind=127.0.0.1:{port}",
        "--log-level=warning", "--chdir", str(ROOT), target,
    ]  # fmt: skip
    log = open(log_path, "wb")  # noqa: SIM115  (the process keeps it open until it stops)
    process = subprocess.Popen(command, env=env, stdout=log, stderr=log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.1)
    process.terminate()
    sys.exit(f"gunicorn {target} did not start; see {log_path}")


def stop(servers: list[subprocess.Popen]) -> None:
    for server in servers:
        server.terminate()
    for server in servers:
        server.wait(timeout=30)


def wrk_script(path: Path, method: str, headers: dict[str, str], body: str = "") -> Path:
    """A wrk Lua script sending the same request each time."""
    lines = [f"wrk.method = {_lua(method)}"]
    if body:
        lines.append(f"wrk.body = {_lua(body)}")
    lines += [f"wrk.headers[{_lua(name)}] = {_lua(value)}" for name, value in headers.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def _lua(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def run_wrk(target: Target, seconds: float) -> Measurement:
    """One round of wrk against `target`: successful responses per second and errors."""
    command = [
        shutil.which("wrk") or sys.exit("wrk is not installed: apt-get install -y wrk"),
        "--threads=1", f"--connections={CONNECTIONS}", f"--duration={seconds:g}s",
        "--timeout=10s", f"--script={target.script}", target.url,
    ]  # fmt: skip
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    total, elapsed = _wrk_total(output)
    non_2xx = _wrk_count(output, r"Non-2xx or 3xx responses:\s+(\d+)")
    socket_errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
    ok = total - non_2xx
    return Measurement(ok / elapsed, ok, non_2xx + socket_errors)


def _wrk_total(output: str) -> tuple[int, float]:
    match = re.search(r"(\d+) requests in ([\d.]+)(ms|s|m)", output)
    if match is None:
        sys.exit(f"unexpected wrk output:\n{output}")
    scale = {"ms": 0.001, "s": 1.0, "m": 60.0}[match.group(3)]
    return int(match.group(1)), float(match.group(2)) * scale


def _wrk_count(output: str, pattern: str) -> int:
    match = re.search(pattern, output)
    return int(match.group(1)) if match else 0


def alternate(targets: list[Target], rounds: int, seconds: float) -> dict[str, list[Measurement]]:
    """A short warm-up of each target, then `rounds` alternating measurements of each."""
    for target in targets:  # imports, connections, caches
        run_wrk(target, 2)
    results: dict[str, list[Measurement]] = {target.name: [] for target in targets}
    for _ in range(rounds):
        for target in targets:
            results[target.name].append(run_wrk(target, seconds))
    return results


def report(title: str, results: dict[str, list[Measurement]], floor: str, ours: str, target: float):
    """Print each server's mean rate, rounds and errors, and our share of the floor's rate."""
    print(title)
    rates = {}
    for name, rounds in results.items():
        rates[name] = sum(m.rate for m in rounds) / len(rounds)
        per_round = ", ".join(f"{m.rate:.0f}" for m in rounds)
        errors = sum(m.errors for m in rounds)
        print(f"  {name:<28} {rates[name]:8.1f} req/s  (rounds: {per_round})  errors: {errors}")
    share = rates[ours] / rates[floor] if rates[floor] else 0.0
    verdict = "meets" if share >= target else "BELOW"
    print(f"  {ours} / {floor}: {share:.0%} ({verdict} the {target:.0%} target)")
    return all(m.errors == 0 for rounds in results.values() for m in rounds)


def database_label(uri: str) -> str:
    return "PostgreSQL" if uri.startswith("postgresql") else "SQLite"


def main(doc: str, name: str, floor_app: str, seconds: float, target: float, targets_for) -> int:
    """Run one benchmark from the command line: our app beside `floor_app`, then the report.

    `targets_for(ours_port, floor_port, client_id, secret, workdir)` returns the floor's Target
    and ours, in that order. Exit status 1 when any response was an error.
    """
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--database-uri", help="default: SQLite in a temporary directory")
    parser.add_argument("--seconds", type=float, default=seconds, help="length of each round")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per server")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix=f"{name}-bench-") as tmp:
        workdir = Path(tmp)
        uri = args.database_uri or f"sqlite:///{workdir / 'bench.db'}"
        env = server_env(workdir, uri)
        tag = f"bench-{secrets.token_hex(4)}"
        client_id, secret = prepare(env, tag)
        ours_port, floor_port = free_port(), free_port()
        servers = [
            start_gunicorn("wsgi:app", ours_port, env, workdir / "ours.log"),
            start_gunicorn(floor_app, floor_port, env, workdir / "floor.log"),
        ]
        try:
            floor, ours = targets_for(ours_port, floor_port, client_id, secret, workdir)
            results = alternate([floor, ours], args.rounds, args.seconds)
        finally:
            stop(servers)
            cleanup(tag)
    title = (
        f"{name} benchmark: gunicorn -w {WORKERS}, wrk {CONNECTIONS} connections, "
        f"{args.rounds} x {args.seconds:g} s each, database {database_label(uri)}"
    )
    return 0 if report(title, results, floor.name, ours.name, target) else 1
