"""Counting failures (logins, client authentication) per key in a moving window.

Where the counters live (RATELIMIT_STORAGE_URI):
- "" (the default): a SQLite file on this host (THROTTLE_FILE), shared by every worker process
  of the host, so that `gunicorn -w N` holds the documented limits, not N times them;
- "redis://…": Redis, shared by every host. While Redis does not answer, counting goes on in
  this host's file (one warning), and goes back to Redis once it answers again: an outage of
  Redis never stops token requests;
- "memory://": this process only (tests, a single-process server).
Redis and memory are the `limits` library's storages (the one Flask-Limiter uses), which has no
storage several processes of one host can share without a server; the file is `HostCounters`.
"""

import functools
import logging
import math
import os
import sqlite3
import threading
import time
from pathlib import Path

from flask import current_app
from limits import RateLimitItemPerSecond, WindowStats, storage, strategies
from limits.errors import StorageError

log = logging.getLogger(__name__)

# After a Redis failure, how long (seconds) the host's own counters are used before Redis is
# tried again; short, so that shared counting resumes soon after Redis is back.
SHARED_RETRY_SECONDS = 2
# A Redis that does not answer must not hold a token request for long.
REDIS_OPTIONS = {"wrap_exceptions": True, "socket_connect_timeout": 0.5, "socket_timeout": 0.5}


def limiter_on(uri: str, **options) -> strategies.MovingWindowRateLimiter:
    return strategies.MovingWindowRateLimiter(storage.storage_from_string(uri, **options))


class HostCounters:
    """Moving-window counters in a SQLite file that every process of this host opens: the same
    test/hit/clear/get_window_stats as a `limits` MovingWindowRateLimiter.

    One row per counted failure, with the time it leaves the window; a hit counts and inserts
    in one write transaction, so two workers never both pass the last free slot.
    """

    def __init__(self, path: str):
        self.path = Path(path)
        self.local = threading.local()  # a connection per thread, opened after the fork

    def connection(self) -> sqlite3.Connection:
        held = getattr(self.local, "held", None)
        if held is None or held[0] != os.getpid():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self.path, timeout=5, isolation_level=None)
            connection.execute("PRAGMA journal_mode=WAL")
            # Counters need not survive a power cut: no fsync per failure (3.4 ms → 70 µs a hit).
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute(
                "CREATE TABLE IF NOT EXISTS hits (key TEXT NOT NULL, expires_at REAL NOT NULL)"
            )
            connection.execute("CREATE INDEX IF NOT EXISTS hits_key ON hits (key, expires_at)")
            connection.execute("CREATE INDEX IF NOT EXISTS hits_expiry ON hits (expires_at)")
            held = self.local.held = (os.getpid(), connection)
        return held[1]

    def _window(self, connection, key: str, now: float) -> tuple[int, float | None]:
        query = "SELECT COUNT(*), MIN(expires_at) FROM hits WHERE key = ? AND expires_at > ?"
        return connection.execute(query, (key, now)).fetchone()

    def test(self, item, key) -> bool:
        count, _ = self._window(self.connection(), item.key_for(key), time.time())
        return count < item.amount

    def hit(self, item, key) -> bool:
        connection, now, name = self.connection(), time.time(), item.key_for(key)
        connection.execute("BEGIN IMMEDIATE")
        try:
            connection.execute("DELETE FROM hits WHERE expires_at <= ?", (now,))
            count, _ = self._window(connection, name, now)
            allowed = count < item.amount
            if allowed:
                expires_at = now + item.get_expiry()
                connection.execute("INSERT INTO hits VALUES (?, ?)", (name, expires_at))
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        return allowed

    def clear(self, item, key) -> None:
        self.connection().execute("DELETE FROM hits WHERE key = ?", (item.key_for(key),))

    def get_window_stats(self, item, key) -> WindowStats:
        now = time.time()
        count, first_expiry = self._window(self.connection(), item.key_for(key), now)
        return WindowStats(first_expiry or now, max(0, item.amount - count))

    def check(self) -> bool:
        self.connection().execute("SELECT 1")
        return True


class Counters:
    """The configured counters, with the host's file as the fallback while Redis is down."""

    def __init__(self, uri: str, host_file: str):
        is_redis = uri.startswith(("redis://", "rediss://", "redis+"))
        self.local = HostCounters(host_file)
        if is_redis:
            self.shared = limiter_on(uri, **REDIS_OPTIONS)
        else:
            self.shared = limiter_on(uri) if uri else self.local
        self.is_shared = is_redis
        self.degraded_until = 0.0  # monotonic time until which the local counters are used
        self.warned = False

    def call(self, method: str, *args):
        """`method` of the shared limiter, or of the local one while the shared one is down."""
        if not self.is_shared:
            return getattr(self.shared, method)(*args)
        if time.monotonic() < self.degraded_until:
            return getattr(self.local, method)(*args)
        try:
            result = getattr(self.shared, method)(*args)
        except StorageError as error:
            self.fall_back(error)
            return getattr(self.local, method)(*args)
        if self.warned:
            self.warned = False
            log.warning("throttling: Redis answers again; counting failures across hosts")
        return result

    def fall_back(self, error: Exception) -> None:
        self.degraded_until = time.monotonic() + SHARED_RETRY_SECONDS
        if not self.warned:
            self.warned = True
            log.warning(
                "throttling: Redis unreachable (%s); counting failures in this host's file until "
                "it is back",
                type(getattr(error, "storage_error", error)).__name__,
            )

    def test(self, item, key) -> bool:
        return self.call("test", item, key)

    def hit(self, item, key) -> bool:
        return self.call("hit", item, key)

    def clear(self, item, key) -> None:
        return self.call("clear", item, key)

    def get_window_stats(self, item, key):
        return self.call("get_window_stats", item, key)

    def shared_storage_answers(self) -> bool:
        """Whether the configured storage answers now (readiness)."""
        answering = self.shared if isinstance(self.shared, HostCounters) else self.shared.storage
        return bool(answering.check())


def init_app(app) -> None:
    """Bind the counter storage to the app."""
    config = app.config
    app.extensions["throttle"] = Counters(config["RATELIMIT_STORAGE_URI"], config["THROTTLE_FILE"])


def _limiter() -> "Counters":
    return current_app.extensions["throttle"]


@functools.lru_cache(maxsize=64)
def _item(namespace: str, limit: int, window: int) -> RateLimitItemPerSecond:
    # A handful of (namespace, limit, window) combinations exist; the token endpoint asks for two
    # of them on every request.
    return RateLimitItemPerSecond(limit, window, namespace=namespace)


def retry_after(namespace: str, key: str, limit: int, window: int) -> int | None:
    """Seconds until `key` may try again, or None when it is under `limit` failures in `window`."""
    item = _item(namespace, limit, window)
    limiter = _limiter()
    if limiter.test(item, key):
        return None
    reset_at = limiter.get_window_stats(item, key).reset_time
    return max(1, math.ceil(reset_at - time.time()))


def record_failure(namespace: str, key: str, limit: int, window: int) -> None:
    """Count one failure for `key`."""
    _limiter().hit(_item(namespace, limit, window), key)


def clear(namespace: str, key: str, limit: int, window: int) -> None:
    """Forget the failures of `key` (after a success)."""
    _limiter().clear(_item(namespace, limit, window), key)
