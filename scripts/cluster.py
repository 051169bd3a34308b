"""Standard parts started on loopback for the load test, the fault tests and the two-hosts test.

gunicorn with the shipped gunicorn.conf.py, a PostgreSQL of our own (initdb in a temporary
directory, so it can be stopped and started without touching anyone else's server), a Redis of
our own, and the app's CLI. Every process started here is stopped by its PID.
"""

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
PG_BIN = Path("/usr/lib/postgresql/15/bin")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, timeout: float, interval: float = 0.1) -> bool:
    """Poll `predicate` until it is true or `timeout` seconds pass; its last answer."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)


def app_env(workdir: Path, database_uri: str, redis_uri: str | None = None, **extra) -> dict:
    """OAUTHSRV_* settings for a host whose keys and mail live in `workdir`."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("OAUTHSRV_") and not key.startswith("PYTEST_")
    }
    env.update(
        {
            "OAUTHSRV_SQLALCHEMY_DATABASE_URI": database_uri,
            "OAUTHSRV_SECRET_KEY": "cluster-" + secrets.token_urlsafe(16),
            "OAUTHSRV_OAUTH_ISSUER": "http://oauthsrv.test",
            "OAUTHSRV_OAUTH_PRIVATE_KEY_PATH": str(workdir / "keys" / "private.key"),
            "OAUTHSRV_OAUTH_PUBLIC_KEY_PATH": str(workdir / "keys" / "public.key"),
            "OAUTHSRV_MAIL_FILE_DIRECTORY": str(workdir / "mail"),
            "OAUTHSRV_RATELIMIT_STORAGE_URI": redis_uri or "memory://",
            "OAUTHSRV_THROTTLE_FILE": str(workdir / "throttle.sqlite"),
        }
    )
    env.update({f"OAUTHSRV_{key}": str(value) for key, value in extra.items()})
    return env


def flask_cli(env: dict, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """`flask --app wsgi ARGS` with these settings."""
    command = [sys.executable, "-m", "flask", "--app", "wsgi", *args]
    result = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{result.stderr[-2000:]}")
    return result


def settings(env: dict) -> dict:
    """The app settings in `env`, parsed as Flask's from_prefixed_env does."""
    found = {}
    for key, value in env.items():
        if key.startswith("OAUTHSRV_") and key not in SERVER_VARIABLES:
            try:
                found[key.removeprefix("OAUTHSRV_")] = json.loads(value)
            except ValueError:
                found[key.removeprefix("OAUTHSRV_")] = value
    return found


SERVER_VARIABLES = ("OAUTHSRV_BIND", "OAUTHSRV_WORKERS", "OAUTHSRV_LOG_LEVEL")


@contextlib.contextmanager
def app_context(env: dict):
    """The app with these settings, in this process (quicker than a CLI process per step)."""
    from oauthsrv import create_app
    from oauthsrv.extensions import db

    app = create_app(settings(env))
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()


def prepare_database(env: dict) -> None:
    """What `make serve` does before gunicorn starts: migrate, keys if missing."""
    from flask_migrate import upgrade

    from oauthsrv.services import keys

    with app_context(env):
        upgrade()
        if not all(path.exists() for path in keys.key_paths()):
            keys.generate_keys()


def create_user(env: dict, email: str, password: str, organization: str = "Prod") -> None:
    """A back-office user (as `users create` does)."""
    from oauthsrv.services import accounts

    with app_context(env):
        accounts.create_user(email, password, email.split("@")[0], [organization])


def create_application(env: dict, owner_email: str, name: str) -> dict:
    """An application of this user (as `oauth apps create` does): its client id and secret."""
    from oauthsrv.services import accounts, applications

    with app_context(env):
        owner = accounts.find_user(owner_email)
        application, secret = applications.create_application(
            owner, owner.organizations[0], name, created_by="command line"
        )
        return {"client_id": application.client_id, "client_secret": secret}


class Gunicorn:
    """`gunicorn -c gunicorn.conf.py wsgi:app` on a free loopback port, logging to a file."""

    def __init__(self, env: dict, workers: int, log_path: Path, port: int | None = None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **env,
            "OAUTHSRV_BIND": f"127.0.0.1:{self.port}",
            "OAUTHSRV_WORKERS": str(workers),
        }
        self.workers = workers
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30) -> "Gunicorn":
        command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"]
        log = open(self.log_path, "ab")  # noqa: SIM115  (kept open by the child until it stops)
        self.process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=log)
        log.close()
        if not wait_until(self.answers, timeout, 0.2) or len(self.worker_pids()) < self.workers:
            if not wait_until(lambda: len(self.worker_pids()) >= self.workers, 10):
                self.stop()
                raise RuntimeError(f"gunicorn did not start; see {self.log_path}")
        return self

    def answers(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited; see {self.log_path}")
        try:
            return requests.get(self.url + "/healthz", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def worker_pids(self) -> list[int]:
        """The master's children, read from /proc."""
        pid = self.process.pid
        try:
            text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
        except OSError:
            return []
        return [int(child) for child in text.split()]

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def rss_mib(pid: int) -> float | None:
    """Resident memory of a process in MiB (None once it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


class PrivatePostgres:
    """A PostgreSQL cluster of our own in a temporary directory, owned by user `postgres`."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="oauthsrv-pg-"))
        shutil.chown(self.directory, "postgres", "postgres")
        self.data = self.directory / "data"
        self.uri = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _as_postgres(self, *command: str) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", *command],
            check=True,
            capture_output=True,
            cwd=self.directory,
        )

    def init(self) -> "PrivatePostgres":
        self._as_postgres(
            str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
            "--no-sync", "-E", "UTF8",
        )  # fmt: skip
        return self.start()

    def start(self) -> "PrivatePostgres":
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.directory} -c fsync=off "
            "-c max_connections=100"
        )
        self._as_postgres(
            str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", options, "-w",
            "-l", str(self.directory / "server.log"), "start",
        )  # fmt: skip
        return self

    def stop(self) -> None:
        """Stop the server (fast: open connections are closed, as in an outage)."""
        if (self.data / "postmaster.pid").exists():
            self._as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "stop")

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


class PrivateRedis:
    """A redis-server of our own, no persistence, on a loopback port."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.uri = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> "PrivateRedis":
        command = [
            "redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no",
        ]  # fmt: skip
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        if not wait_until(self.answers, 10):
            raise RuntimeError("redis-server did not start")
        return self

    def answers(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
            return True
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
