"""What the HTTP benchmarks share: placement on the cores, databases, gunicorn servers and wrk.

In production the database runs on another machine. On a 2-core machine the closest we get is
to pin (`taskset`): the gunicorn workers of whichever server is measured on CPU 0, the load
generator (wrk) and the database server on CPU 1, for our app and the bare references alike.
`BENCH_PIN=0` (or `--no-pin`) runs everything unpinned instead, as the scheduler likes.

PostgreSQL is a server this harness starts itself (`initdb`/`pg_ctl` from PostgreSQL 15 in a
temporary directory, on a free port, as user `postgres` when run as root), pinned like wrk, and
stopped at the end by its postmaster's PID; SQLite is a file in the same temporary directory.

Every server is gunicorn with 2 sync workers, started the way production starts ours
(`gunicorn wsgi:app`, settings through OAUTHSRV_* variables; the instance/ folder is not
touched). The load comes from wrk (Debian's `wrk` package; `make wrk` installs it), one thread:
a C client takes a few percent of a core, so the servers decide the rates. Everything started
here is stopped at the end.
"""

import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORKERS = 2
PG_BIN = Path("/usr/lib/postgresql/15/bin")
ISSUER = "http://127.0.0.1"
APP_CPU, SIDE_CPU = "0", "1"  # our workers / wrk and the database server


# --- Placement -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Placement:
    """Which CPU each side runs on: pinned (app on CPU 0, the rest on CPU 1) or not at all."""

    pinned: bool

    @classmethod
    def from_env(cls, flag: bool | None = None) -> "Placement":
        """`flag` (a command-line choice) wins over BENCH_PIN (default: pinned, given 2 CPUs)."""
        pinned = flag if flag is not None else os.environ.get("BENCH_PIN", "1") != "0"
        if pinned and len(os.sched_getaffinity(0)) < 2:
            print("fewer than 2 CPUs available: running unpinned", file=sys.stderr)
            pinned = False
        return cls(pinned)

    def app(self) -> list[str]:
        return ["taskset", "-c", APP_CPU] if self.pinned else []

    def side(self) -> list[str]:
        return ["taskset", "-c", SIDE_CPU] if self.pinned else []

    def describe(self) -> str:
        if self.pinned:
            return (
                f"pinned: gunicorn workers on CPU {APP_CPU}; wrk and PostgreSQL on CPU {SIDE_CPU}"
            )
        return "unpinned: servers, wrk and PostgreSQL share all CPUs"


def env_float(name: str, default: float) -> float:
    return float(os.environ.get(name) or default)


# --- Databases -----------------------------------------------------------------------------


class Postgres:
    """A PostgreSQL 15 server of our own in `workdir`, on a free port; `uri` names its database."""

    def __init__(self, workdir: Path, placement: Placement):
        self.dir = workdir / "pg"
        self.data = self.dir / "data"
        self.port = free_port()
        self.placement = placement
        self.pid: int | None = None

    def _as_postgres(self) -> list[str]:
        return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def start(self) -> str:
        self.dir.mkdir()
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        run = self._as_postgres()
        subprocess.run(
            [*run, PG_BIN / "initdb", "-D", self.data, "--auth=trust", "-U", "postgres",
             "--encoding=UTF8", "--no-locale"],
            check=True, capture_output=True,
        )  # fmt: skip
        options = (
            f"-c port={self.port} -c listen_addresses=127.0.0.1"
            f" -c unix_socket_directories={self.dir}"
        )
        subprocess.run(
            [*self.placement.side(), *run, PG_BIN / "pg_ctl", "-D", self.data, "-w",
             "-l", self.dir / "server.log", "-o", options, "start"],
            check=True, capture_output=True,
        )  # fmt: skip
        self.pid = int((self.data / "postmaster.pid").read_text().split()[0])
        import psycopg

        admin = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute("CREATE DATABASE bench")
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/bench"

    def stop(self) -> None:
        """Fast shutdown of our postmaster, by its PID; waits until it is gone."""
        if self.pid is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGINT)
        deadline = time.monotonic() + 30
        while Path(f"/proc/{self.pid}").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        if Path(f"/proc/{self.pid}").exists():
            os.kill(self.pid, signal.SIGQUIT)
        self.pid = None


@contextlib.contextmanager
def database(kind: str, workdir: Path, placement: Placement):
    """The SQLAlchemy URI of a fresh, empty database: "sqlite" or "postgresql" (our own server)."""
    if kind == "sqlite":
        yield f"sqlite:///{workdir / 'bench.db'}"
        return
    server = Postgres(workdir, placement)
    try:
        yield server.start()
    finally:
        server.stop()


def database_label(uri: str) -> str:
    return "PostgreSQL" if uri.startswith("postgresql") else "SQLite"


def server_env(workdir: Path, database_uri: str) -> dict:
    """Settings for the served apps, through OAUTHSRV_* variables (as in production)."""
    return {
        **os.environ,
        "OAUTHSRV_SQLALCHEMY_DATABASE_URI": database_uri,
        "OAUTHSRV_SECRET_KEY": secrets.token_urlsafe(32),
        "OAUTHSRV_OAUTH_ISSUER": ISSUER,
        "OAUTHSRV_OAUTH_PRIVATE_KEY_PATH": str(workdir / "private.key"),
        "OAUTHSRV_OAUTH_PUBLIC_KEY_PATH": str(workdir / "public.key"),
        "OAUTHSRV_MAIL_FILE_DIRECTORY": str(workdir / "mail"),
        "OAUTHSRV_RATELIMIT_STORAGE_URI": "memory://",
        "BENCH_PRIVATE_KEY": str(workdir / "private.key"),
        "BENCH_PUBLIC_KEY": str(workdir / "public.key"),
        "BENCH_DATABASE_URI": database_uri,
    }


def prepare(env: dict, tag: str, seed=None) -> tuple[str, str]:
    """Migrate, write the keys, create an owner and a backend application; its credentials.

    `seed`, when given, is called inside the app context to add more data (the grid's).
    """
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
        if seed is not None:
            seed()
        db.engine.dispose()
    return client_id, secret


def cleanup(tag: str) -> None:
    """Remove the benchmark's user, organization and application (for a database we were lent)."""
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


# --- Servers -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    """A gunicorn master we started; its workers are its children."""

    name: str
    port: int
    process: subprocess.Popen

    def worker_rss_mb(self) -> list[float]:
        """Resident memory of each worker, in MB (from /proc)."""
        sizes = []
        for status in Path("/proc").glob("[0-9]*/status"):
            with contextlib.suppress(OSError):
                fields = dict(
                    line.split(":", 1) for line in status.read_text().splitlines() if ":" in line
                )
                if int(fields["PPid"]) == self.process.pid and "VmRSS" in fields:
                    sizes.append(int(fields["VmRSS"].split()[0]) / 1024)
        return sorted(sizes)


def start_gunicorn(
    name: str, target: str, env: dict, workdir: Path, placement: Placement
) -> Server:
    """gunicorn with WORKERS sync workers on a free 127.0.0.1 port, once it accepts connections."""
    port = free_port()
    command = [
        *placement.app(), sys.executable, "-m", "gunicorn", f"--workers={WORKERS}",
        f"--bind=127.0.0.1:{port}", "--log-level=warning", "--chdir", str(ROOT), target,
    ]  # fmt: skip
    log_path = workdir / f"{name}.log"
    log = open(log_path, "wb")  # noqa: SIM115  (the process keeps it open until it stops)
    process = subprocess.Popen(command, env=env, stdout=log, stderr=log)
    server = Server(name, port, process)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        except OSError:
            time.sleep(0.1)
            continue
        while len(server.worker_rss_mb()) < WORKERS and time.monotonic() < deadline:
            time.sleep(0.1)
        return server
    process.terminate()
    sys.exit(f"gunicorn {target} did not start; see {log_path}")


def stop(servers: list[Server]) -> None:
    """Stop each gunicorn master by its PID (it stops its workers)."""
    for server in servers:
        server.process.terminate()
    for server in servers:
        server.process.wait(timeout=30)


# --- Load ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Measurement:
    """One wrk round against one target."""

    rate: float  # successful (2xx) responses per second
    ok: int
    errors: int  # non-2xx responses and socket errors
    p50_ms: float
    p99_ms: float


@dataclass(frozen=True)
class Target:
    """One endpoint to load: a label, its URL and the wrk script that shapes each request."""

    name: str
    url: str
    script: Path
    server: Server | None = field(default=None, compare=False)


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


def run_wrk(target: Target, seconds: float, connections: int, placement: Placement) -> Measurement:
    """One round of wrk against `target`: successful responses per second, errors, latency."""
    command = [
        *placement.side(),
        shutil.which("wrk") or sys.exit("wrk is not installed: make wrk"),
        "--threads=1", f"--connections={connections}", f"--duration={seconds:g}s",
        "--timeout=10s", "--latency", f"--script={target.script}", target.url,
    ]  # fmt: skip
    finished = subprocess.run(command, capture_output=True, text=True)
    if finished.returncode != 0:
        sys.exit(f"wrk failed ({finished.returncode}) against {target.url}:\n"
                 f"{finished.stdout}{finished.stderr}")  # fmt: skip
    output = finished.stdout
    total, elapsed = _wrk_total(output)
    non_2xx = _wrk_count(output, r"Non-2xx or 3xx responses:\s+(\d+)")
    socket_errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
    ok = total - non_2xx
    return Measurement(
        ok / elapsed, ok, non_2xx + socket_errors, _percentile(output, 50), _percentile(output, 99)
    )


def _wrk_total(output: str) -> tuple[int, float]:
    match = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)\b", output)
    if match is None:
        sys.exit(f"unexpected wrk output:\n{output}")
    return int(match.group(1)), _seconds(float(match.group(2)), match.group(3))


def _wrk_count(output: str, pattern: str) -> int:
    match = re.search(pattern, output)
    return int(match.group(1)) if match else 0


def _percentile(output: str, percent: int) -> float:
    """A latency percentile from wrk's --latency distribution, in milliseconds (nan: none)."""
    match = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.MULTILINE)
    return _seconds(float(match.group(1)), match.group(2)) * 1000 if match else float("nan")


def _seconds(value: float, unit: str) -> float:
    return value * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[unit]


def warm_up(targets: list[Target], placement: Placement, limit: float = 90) -> None:
    """Imports, connections, keys, caches: short wrk runs per target, not counted, until one
    answers at a steady pace (each worker's first token request loads the signing key, which
    takes seconds when the core is busy)."""
    for target in targets:
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            warm = run_wrk(target, 2, 4, placement)
            if warm.ok >= 10 and warm.p99_ms < 1000:
                break
        else:
            sys.exit(f"{target.name} did not warm up within {limit:g} s")


def alternate(
    targets: list[Target], rounds: int, seconds: float, connections: int, placement: Placement
) -> dict[str, list[Measurement]]:
    """`rounds` alternating measurements of each target (A, B, C, A, B, C, …).

    Other load on the machine then hits every target alike, and a ratio of their means is
    worth more than any single round (single runs swing by about ±0.1 here).
    """
    results: dict[str, list[Measurement]] = {target.name: [] for target in targets}
    for _ in range(rounds):
        for target in targets:
            results[target.name].append(run_wrk(target, seconds, connections, placement))
    return results


def mean_rate(rounds: list[Measurement]) -> float:
    return sum(m.rate for m in rounds) / len(rounds)


def errors(results: dict[str, list[Measurement]]) -> int:
    return sum(m.errors for rounds in results.values() for m in rounds)


@contextlib.contextmanager
def workdir(prefix: str):
    """A temporary directory, removed at the end, that the postgres user may pass through."""
    with tempfile.TemporaryDirectory(prefix=f"{prefix}-bench-") as tmp:
        os.chmod(tmp, 0o711)
        yield Path(tmp)


# --- One database, its servers, and the benchmarks run on them -----------------------------


@dataclass
class Stack:
    """A prepared database and the three servers loaded against it."""

    uri: str
    workdir: Path
    client_id: str
    secret: str
    ours: Server
    bare_jwt: Server  # benchmarks/bare_jwt_app.py: /token, /token-read, /jwks
    bare_hello: Server  # benchmarks/bare_hello_app.py: /hello, /hello-read

    @property
    def servers(self) -> list[Server]:
        return [self.ours, self.bare_jwt, self.bare_hello]

    def url(self, server: Server, path: str) -> str:
        return f"http://127.0.0.1:{server.port}{path}"


@contextlib.contextmanager
def stack(kind: str, tmp: Path, placement: Placement, database_uri: str | None = None, seed=None):
    """Our app and the bare references served on one database (`database_uri`: one we are lent,
    cleaned up afterwards; otherwise a fresh one of `kind`)."""
    with contextlib.ExitStack() as exits:
        uri = database_uri or exits.enter_context(database(kind, tmp, placement))
        env = server_env(tmp, uri)
        tag = f"bench-{secrets.token_hex(4)}"
        client_id, secret = prepare(env, tag, seed)
        if database_uri:
            exits.callback(cleanup, tag)
        env["BENCH_CLIENT_ID"] = client_id
        servers = []
        exits.callback(stop, servers)
        for name, target in [
            ("ours", "wsgi:app"),
            ("bare_jwt", "benchmarks.bare_jwt_app:app"),
            ("bare_hello", "benchmarks.bare_hello_app:app"),
        ]:
            servers.append(start_gunicorn(name, target, env, tmp, placement))
        yield Stack(uri, tmp, client_id, secret, *servers)
