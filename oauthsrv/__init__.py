"""oauthsrv: a back-office and OAuth 2.0 client-credentials authorization server."""

import logging

from flask import Flask, redirect, url_for
from sqlalchemy import event
from sqlalchemy.engine import Engine

from . import errors, health, security, templating, throttle
from .config import INSTANCE_PATH, load_config
from .extensions import csrf, db, login_manager, mail, migrate


def create_app(test_config: dict | None = None) -> Flask:
    """Build the application: config, extensions, blueprints, error handlers and CLI."""
    app = Flask(__name__, instance_path=str(INSTANCE_PATH), instance_relative_config=True)
    load_config(app, test_config)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    init_extensions(app)
    security.init_app(app)
    throttle.init_app(app)
    errors.init_app(app)
    templating.init_app(app)
    register_blueprints(app)
    health.register(app)  # /healthz, /readyz: no session, no-store
    register_cli(app)
    app.add_url_rule("/", "index", lambda: redirect(url_for("profile.show")))
    return app


def init_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(
        app, db, directory=str(INSTANCE_PATH.parent / "migrations"), render_as_batch=True
    )
    csrf.init_app(app)
    mail.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None


def register_blueprints(app: Flask) -> None:
    from . import admin, api, applications, auth, customers, notifications, oauth, profile
    from .auth import session  # noqa: F401  (registers the user loader)

    app.register_blueprint(auth.bp)
    app.register_blueprint(profile.bp)
    app.register_blueprint(customers.bp)
    notifications.init_app(app)  # the Notifications page, the outbox and its signal listener
    app.register_blueprint(applications.bp)
    app.register_blueprint(admin.bp)
    oauth.init_app(app)
    api.init_app(app)  # the Bearer-protected APIs under /admin/api and /api


def register_cli(app: Flask) -> None:
    from .cli import COMMANDS

    for command in COMMANDS:
        app.cli.add_command(command)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    """WAL and a busy timeout let several gunicorn workers share one SQLite file."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
