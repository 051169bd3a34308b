"""Counting failures (logins, client authentication) per key in a moving window.

Counters live in the storage named by RATELIMIT_STORAGE_URI: "memory://" per process, or Redis
so that every worker and host shares them. Built on the `limits` library that Flask-Limiter uses.
"""

import functools
import math
import time

from flask import current_app
from limits import RateLimitItemPerSecond, storage, strategies


def init_app(app) -> None:
    """Bind the counter storage to the app."""
    backend = storage.storage_from_string(app.config["RATELIMIT_STORAGE_URI"])
    app.extensions["throttle"] = strategies.MovingWindowRateLimiter(backend)


def _limiter() -> strategies.MovingWindowRateLimiter:
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
