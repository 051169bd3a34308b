"""Counting failures (logins, client authentication) per key in a moving window.

Counters live in the storage named by RATELIMIT_STORAGE_URI: "memory://" per process, or Redis
so that every worker and host shares them. Built on the `limits` library that Flask-Limiter uses.
While Redis does not answer, counting goes on in this host's own counters (one warning), and
goes back to Redis once it answers again: an outage of Redis never stops token requests.
"""

import functools
import logging
import math
import time

from flask import current_app
from limits import RateLimitItemPerSecond, storage, strategies
from limits.errors import StorageError

log = logging.getLogger(__name__)

# After a Redis failure, how long (seconds) the host's own counters are used before Redis is
# tried again; short, so that shared counting resumes soon after Redis is back.
SHARED_RETRY_SECONDS = 2
# A Redis that does not answer must not hold a token request for long.
REDIS_OPTIONS = {"wrap_exceptions": True, "socket_connect_timeout": 0.5, "socket_timeout": 0.5}


def limiter_on(uri: str, **options) -> strategies.MovingWindowRateLimiter:
    return strategies.MovingWindowRateLimiter(storage.storage_from_string(uri, **options))


class Counters:
    """The configured counters, with a per-host fallback while a shared (Redis) store is down."""

    def __init__(self, uri: str):
        is_redis = uri.startswith(("redis://", "rediss://", "redis+"))
        options = REDIS_OPTIONS if is_redis else {}
        self.shared = limiter_on(uri, **options)
        self.local = limiter_on("memory://")
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
                "throttling: Redis unreachable (%s); counting failures on this host until it is "
                "back",
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
        return bool(self.shared.storage.check())


def init_app(app) -> None:
    """Bind the counter storage to the app."""
    app.extensions["throttle"] = Counters(app.config["RATELIMIT_STORAGE_URI"])


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
