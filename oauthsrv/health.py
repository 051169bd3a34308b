"""Liveness and readiness for load balancers and orchestrators: GET /healthz and GET /readyz.

Both are mounted on the machine app (dispatch.MACHINE_MOUNTS): JSON, no-store, no session and
no cookie, no back-office hook, so polling them every second costs a few hundred microseconds.
A failing check is named, never described: no connection string, host name or exception text
ever leaves the server (the reason goes to the log).
"""

import json
import logging
from collections.abc import Callable

from flask import Blueprint, Flask, current_app
from sqlalchemy import text

from .extensions import db
from .security import machine_response
from .services.keys import load_signing_key

log = logging.getLogger(__name__)

bp = Blueprint("health", __name__)

HEALTH_PATHS = ("/healthz", "/readyz")


def check_database() -> bool:
    """The database answers a trivial query."""
    with db.engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    return True


def check_signing_key() -> bool:
    """This process has a usable signing key (from the key files, re-read when they change)."""
    return load_signing_key() is not None


def redis_configured() -> bool:
    return current_app.config["RATELIMIT_STORAGE_URI"].startswith(("redis://", "rediss://"))


def check_redis() -> bool:
    """The shared counter storage answers (only asked when it is Redis)."""
    return current_app.extensions["throttle"].shared_storage_answers()


def readiness_checks() -> dict[str, Callable[[], bool]]:
    """The checks /readyz runs, by the name it reports."""
    checks = {"database": check_database, "signing_key": check_signing_key}
    if redis_configured():
        checks["redis"] = check_redis
    return checks


def run_check(name: str, check: Callable[[], bool]) -> bool:
    """One check; any exception is a failure, logged here and never shown to the client."""
    try:
        return check()
    except Exception as error:  # a probe reports; it never raises
        log.warning("readiness check %s failed: %s", name, type(error).__name__)
        return False
    finally:
        if name == "database":
            db.session.remove()


def json_answer(body: dict, status: int):
    return machine_response(json.dumps(body), status, "application/json")


@bp.get("/healthz")
def healthz_show():
    """Liveness: the process answers; nothing else is touched."""
    return json_answer({"status": "ok"}, 200)


@bp.get("/readyz")
def readyz_show():
    """Readiness: 200 when every check passes, else 503 naming the failing ones."""
    results = {name: run_check(name, check) for name, check in readiness_checks().items()}
    failing = [name for name, ok in results.items() if not ok]
    checks = {name: "ok" if ok else "failing" for name, ok in results.items()}
    if failing:
        return json_answer({"status": "unavailable", "failing": failing, "checks": checks}, 503)
    return json_answer({"status": "ok", "checks": checks}, 200)


def register(app: Flask) -> None:
    """Mount /healthz and /readyz on `app` (the machine app once there is one)."""
    app.register_blueprint(bp)
