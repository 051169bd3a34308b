"""Faults under load, against gunicorn with databases and servers of the test's own.

PostgreSQL stopped and started, Redis stopped and started, workers killed with SIGKILL, SMTP down,
and a key write that fails midway through `oauth keys rotate`.
"""

import collections
import errno
import functools
import os
import signal
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass

import jwt
import pytest
import redis
import requests
from production_helpers import (
    BackOfficeUser,
    api_me,
    create_app_for,
    create_user,
    make_env,
    token,
)
from smtp_sink import SmtpSink

from oauthsrv.throttle import SHARED_RETRY_SECONDS
from scripts.cluster import app_context, flask_cli, wait_until

pytestmark = pytest.mark.slow

OWNER = "owner@faults.example"


@dataclass(frozen=True)
class Answer:
    kind: str
    sent_at: float
    received_at: float
    status: int  # 0: no HTTP answer (connection refused or reset)
    is_json: bool


class Load:
    """Threads sending token requests, each followed by an API call, until stopped."""

    def __init__(self, base: str, app: dict, threads: int = 2):
        self.base, self.app = base, app
        self.answers: list[Answer] = []
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self.run) for _ in range(threads)]

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        for thread in self.threads:
            thread.join()

    def call(self, kind: str, send) -> requests.Response | None:
        sent_at = time.monotonic()
        try:
            response = send()
        except requests.RequestException:
            response = None
        status = response.status_code if response is not None else 0
        is_json = response is not None and "json" in response.headers.get("Content-Type", "")
        self.answers.append(Answer(kind, sent_at, time.monotonic(), status, is_json))
        return response

    def run(self) -> None:
        client_id, secret = self.app["client_id"], self.app["client_secret"]
        while not self.stopping.is_set():
            issued = self.call("token", lambda: token(self.base, client_id, secret))
            if issued is not None and issued.status_code == 200:
                access_token = issued.json()["access_token"]
                self.call("api", functools.partial(api_me, self.base, access_token))
            else:
                time.sleep(0.05)

    def between(self, start: float, end: float) -> list[Answer]:
        """Answers to requests sent after `start` and answered before `end`."""
        return [a for a in self.answers if a.sent_at >= start and a.received_at <= end]

    def ok_since(self, moment: float) -> bool:
        return any(a.status == 200 and a.sent_at >= moment for a in list(self.answers))

    def summary(self, answers=None) -> dict:
        return dict(collections.Counter((a.kind, a.status) for a in (answers or self.answers)))


def test_postgresql_stopped_mid_load_answers_503_and_recovers_without_restart(
    tmp_path, servers, postgres_server, postgres_uri
):
    env = make_env(tmp_path, postgres_uri)
    create_user(env, OWNER)
    app = create_app_for(env, OWNER)
    server = servers.start(env, tmp_path / "gunicorn.log", workers=2)
    workers = set(server.worker_pids())

    with Load(server.url, app) as load:
        time.sleep(1.5)
        postgres_server.stop()
        down_at = time.monotonic()
        time.sleep(2)
        ready = requests.get(server.url + "/readyz", timeout=10)
        time.sleep(1)
        up_from = time.monotonic()
        postgres_server.start()
        recovered = wait_until(lambda: load.ok_since(up_from), 20)
        time.sleep(0.5)

    assert ready.status_code == 503 and ready.json()["failing"] == ["database"]
    assert recovered, load.summary()
    assert server.process.poll() is None and set(server.worker_pids()) == workers
    during = load.between(down_at, up_from)
    assert during, "no request was answered while PostgreSQL was down"
    # No 200 from stale state, no 500: a JSON 503 for every call while the database is down.
    assert all(a.status == 503 and a.is_json for a in during), load.summary(during)
    assert not [a for a in load.answers if a.status >= 500 and a.status != 503], load.summary()


def test_redis_stopped_mid_load_keeps_tokens_coming_and_throttles_per_host(
    tmp_path, servers, redis_server
):
    env = make_env(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite'}", redis_server.uri)
    create_user(env, OWNER)
    app = create_app_for(env, OWNER)
    # One worker: this host's own counters are then exactly one process's.
    server = servers.start(env, tmp_path / "gunicorn.log", workers=1)
    shared = redis.Redis.from_url(redis_server.uri)

    with Load(server.url, app) as load:
        time.sleep(1)
        redis_server.stop()
        down_at = time.monotonic()
        failures = [token(server.url, "throttled", "wrong").status_code for _ in range(11)]
        time.sleep(1)
        up_from = time.monotonic()
        redis_server.start()
        time.sleep(SHARED_RETRY_SECONDS + 0.5)
        after = [token(server.url, "counted-in-redis", "wrong").status_code for _ in range(2)]
        counted_in_redis = bool(shared.keys("*"))

    during = [a for a in load.between(down_at, up_from) if a.kind == "token"]
    assert during and all(a.status == 200 for a in during), load.summary(during)
    assert failures == [401] * 10 + [429]  # the documented 10 per (client id, IP), on this host
    assert after == [401, 401] and counted_in_redis
    log = server.log_text()
    assert log.count("throttling: Redis unreachable") == 1
    assert log.count("throttling: Redis answers again") == 1
    assert not [a for a in load.answers if a.status >= 500], load.summary()


def test_workers_killed_mid_load_lose_nothing_committed(tmp_path, servers):
    database = tmp_path / "db.sqlite"
    env = make_env(tmp_path, f"sqlite:///{database}")
    for number in range(2):
        create_user(env, f"editor{number}@faults.example")
    create_user(env, OWNER)
    app = create_app_for(env, OWNER)
    server = servers.start(env, tmp_path / "gunicorn.log", workers=3)
    created: list[str] = []
    stopping = threading.Event()
    server_errors = []

    def edit(email: str) -> None:
        user = None
        while not stopping.is_set():
            try:
                user = user or BackOfficeUser(server.url, email).login()
                name = f"kept {uuid.uuid4().hex[:10]}"
                answer = user.post("/admin/profile/applications/new", {"name": name})
            except (requests.RequestException, AttributeError, AssertionError):
                user = None  # the worker died under this request: log in again
                continue
            if answer.status_code == 200:
                created.append(name)  # answered: committed
            elif answer.status_code >= 500:
                server_errors.append(answer.status_code)

    editors = [threading.Thread(target=edit, args=(f"editor{n}@faults.example",)) for n in (0, 1)]
    killed = []
    with Load(server.url, app) as load:
        for editor in editors:
            editor.start()
        for _ in range(2):
            time.sleep(2)
            victim = server.worker_pids()[0]
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)
        time.sleep(2)
        stopping.set()
        for editor in editors:
            editor.join()

    assert wait_until(lambda: len(server.worker_pids()) == 3, 15)
    assert not set(killed) & set(server.worker_pids())  # the master replaced them
    assert token(server.url, app["client_id"], app["client_secret"]).status_code == 200
    assert created, "no application was created under load"
    with sqlite3.connect(database) as connection:
        names = {row[0] for row in connection.execute("SELECT name FROM oauth_applications")}
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert set(created) <= names
    assert not server_errors
    assert not [a for a in load.answers if a.status >= 500], load.summary()


def test_smtp_down_loses_nothing_and_the_outbox_delivers_exactly_once(tmp_path, servers):
    sink = SmtpSink()  # not started yet: its port refuses connections, as a down server's would
    database = tmp_path / "db.sqlite"
    env = make_env(
        tmp_path,
        f"sqlite:///{database}",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=sink.port,
        MAIL_TIMEOUT=2,
        MAIL_OUTBOX_POLL_INTERVAL=1,
        MAIL_OUTBOX_BACKOFF=1,
        MAIL_OUTBOX_BACKOFF_MAX=1,
    )
    create_user(env, OWNER)
    server = servers.start(env, tmp_path / "gunicorn.log", workers=2)
    user = BackOfficeUser(server.url, OWNER).login()
    client_ids = [user.create_application(f"mailed {n}")[1] for n in range(4)]

    sink.start()
    try:
        # Every sender at once: the CLI, and back-office requests on both workers.
        stop = time.monotonic() + 4
        cli = threading.Thread(target=flask_cli, args=(env, "notifications", "send-pending"))
        cli.start()
        while time.monotonic() < stop:
            assert user.http.get(server.url + "/admin/profile", timeout=10).status_code == 200
        cli.join()
        assert wait_until(lambda: len(sink.envelopes) >= len(client_ids), 20)
        time.sleep(2)  # a duplicate would arrive now
        bodies = [message.get_body(("plain",)).get_content() for message in sink.messages]
    finally:
        sink.stop()

    for client_id in client_ids:
        assert sum(client_id in body for body in bodies) == 1
    assert len(bodies) == len(client_ids)
    with sqlite3.connect(database) as connection:
        statuses = dict(connection.execute("SELECT status, count(*) FROM mail_messages GROUP BY 1"))
    assert statuses == {"sent": len(client_ids)}


class FullDisk:
    """A file object that writes half of what it is given, then fails as a full disk does."""

    def __init__(self, handle, during_write):
        self.handle, self.during_write = handle, during_write

    def write(self, data: bytes) -> int:
        self.handle.write(data[: len(data) // 2])
        self.handle.flush()
        self.during_write()
        raise OSError(errno.ENOSPC, "No space left on device")

    def __getattr__(self, name):
        return getattr(self.handle, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.handle.close()


def kid_of(response: requests.Response) -> str:
    return jwt.get_unverified_header(response.json()["access_token"])["kid"]


@pytest.mark.parametrize("failing", ["public.previous.json", "private.key", "public.key"])
def test_a_key_write_failing_during_rotate_leaves_the_old_key_working(
    tmp_path, servers, monkeypatch, failing
):
    env = make_env(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite'}", OAUTH_KEYS_RECHECK_SECONDS=0)
    create_user(env, OWNER)
    app = create_app_for(env, OWNER)
    server = servers.start(env, tmp_path / "gunicorn.log", workers=2)
    key_dir = tmp_path / "keys"
    before = {path.name: path.read_bytes() for path in key_dir.iterdir()}
    old_kid = kid_of(token(server.url, app["client_id"], app["client_secret"]))
    seen_mid_write = []

    def during_write():  # the half-written file is on disk now: the host must not load it
        answer = token(server.url, app["client_id"], app["client_secret"])
        seen_mid_write.append((answer.status_code, kid_of(answer)))

    real_fdopen = os.fdopen

    def fdopen(fd, *args, **kwargs):
        handle = real_fdopen(fd, *args, **kwargs)
        name = os.path.basename(os.readlink(f"/proc/self/fd/{fd}"))
        return FullDisk(handle, during_write) if name.startswith(f".{failing}.") else handle

    with app_context(env) as flask_app:
        monkeypatch.setattr(os, "fdopen", fdopen)
        result = flask_app.test_cli_runner().invoke(args=["oauth", "keys", "rotate"])
        monkeypatch.undo()

    assert result.exit_code == 1
    assert "Key files not written (No space left on device)" in result.output
    assert seen_mid_write == [(200, old_kid)]
    assert {path.name: path.read_bytes() for path in key_dir.iterdir()} == before  # no leftovers
    for _ in range(4):  # both workers, after their recheck
        answer = token(server.url, app["client_id"], app["client_secret"])
        assert answer.status_code == 200 and kid_of(answer) == old_kid
    jwks = requests.get(server.url + "/.well-known/jwks.json", timeout=5).json()
    assert [key["kid"] for key in jwks["keys"]] == [old_kid]

    rotated = flask_cli(env, "oauth", "keys", "rotate")  # with room on the disk again
    new_kid = rotated.stdout.strip().rsplit(" ", 1)[-1]
    assert wait_until(
        lambda: kid_of(token(server.url, app["client_id"], app["client_secret"])) == new_kid, 5
    )
