"""gunicorn settings for production: `make serve`, or `gunicorn -c gunicorn.conf.py wsgi:app`.

Environment: OAUTHSRV_WORKERS (default 2 x cores + 1), OAUTHSRV_BIND (default 127.0.0.1:8000).
Everything else (database, Redis, issuer, trusted proxies) is the app's own configuration:
instance/config.yml and OAUTHSRV_* variables (README, "Running in production").
"""

import importlib
import multiprocessing
import os

from gunicorn.glogging import Logger

from oauthsrv.logs import redacted_query

wsgi_app = "wsgi:app"
bind = os.environ.get("OAUTHSRV_BIND", "127.0.0.1:8000").split(",")
workers = int(os.environ.get("OAUTHSRV_WORKERS") or 2 * multiprocessing.cpu_count() + 1)
worker_class = "sync"
# The app (its config, its templates) is built once in the master and forked: workers start in
# milliseconds, and the signing keys read in `when_ready` are shared by every worker.
preload_app = True
# A worker gets this long to finish its request after SIGTERM/HUP before it is killed; a request
# that takes longer than `timeout` is stuck (the master kills and replaces the worker).
graceful_timeout = 30
timeout = 30
keepalive = 2
# gunicorn 27's control socket sits at one path per user (~/.gunicorn/gunicorn.ctl): several
# instances on one machine would take it from each other. Nothing here uses it.
control_socket_disable = True

accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("OAUTHSRV_LOG_LEVEL", "info")
# No %(r)s (the raw request line), %(q)s or %(f)s (the Referer): query strings can carry client
# secrets or tokens. %(Q)s is the query with its values redacted (QueryRedactingLogger).
access_log_format = '%(h)s - %(t)s "%(m)s %(U)s%(Q)s %(H)s" %(s)s %(b)s %(M)sms %(p)s'


class QueryRedactingLogger(Logger):
    """Adds the atom Q: the query string's parameter names, every value `[redacted]` (the rule
    is oauthsrv.logs.redacted_query, which the dev server's request log follows too)."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["Q"] = redacted_query(environ.get("QUERY_STRING", ""))
        return atoms


logger_class = QueryRedactingLogger


# Modules the app imports on first use (docs/cli-startup.md) that requests need: imported in the
# master, the workers fork with them (no first-login or first-token cost, memory shared).
REQUEST_MODULES = ("email_validator", "jwt", "cryptography.hazmat.primitives.serialization")


def when_ready(server):
    """Import what requests need and read the signing keys once in the master, before forking."""
    from oauthsrv.services.keys import load_key_set

    for name in REQUEST_MODULES:
        importlib.import_module(name)

    for flask_app in flask_apps(server.app.wsgi()):
        with flask_app.app_context():
            if load_key_set().signing is None:
                server.log.warning("no usable signing key: token requests answer 503")


def post_fork(server, worker):
    """A worker never shares the master's database connections (there should be none)."""
    from oauthsrv.extensions import db

    for flask_app in flask_apps(server.app.wsgi()):
        with flask_app.app_context():
            db.engine.dispose(close=False)


def flask_apps(app) -> list:
    """Our Flask apps behind `wsgi:app`: the app itself or those behind a path dispatcher. Apps
    without our database extension are skipped: the benchmarks serve bare Flask references with
    this same file, so that both sides run under the same gunicorn settings."""
    from flask import Flask

    candidates = [app, getattr(app, "app", None), *getattr(app, "mounts", {}).values()]
    found = []
    for candidate in candidates:
        while candidate is not None and not isinstance(candidate, Flask):
            candidate = getattr(candidate, "app", None)  # middleware such as ProxyFix
        if (
            candidate is not None
            and "sqlalchemy" in candidate.extensions
            and candidate not in found
        ):
            found.append(candidate)
    return found
