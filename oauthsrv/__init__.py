"""oauthsrv: a back-office and OAuth 2.0 client-credentials authorization server."""

from flask import Flask, redirect, url_for
from sqlalchemy import event
from sqlalchemy.engine import Engine

from . import (
    admin,
    api,
    applications,
    auth,
    customers,
    errors,
    health,
    inputs,
    logs,
    machine,
    notifications,
    oauth,
    profile,
    security,
    templating,
    throttle,
)
from .config import INSTANCE_PATH, load_config, require_issuer
from .dispatch import PathDispatcher
from .extensions import csrf, db, login_manager, mail, migrate
from .services import audit

MACHINE_APP = "oauthsrv.machine_app"  # key of the machine app in the back-office's extensions


def create_app(test_config: dict | None = None) -> Flask:
    """Build the back-office app and the machine app beside it; return the back-office app.

    Both come from this package with one configuration (the same Config object) and one database
    engine. The back-office's WSGI entry dispatches by path (oauthsrv.dispatch), so serving it
    (`wsgi:app`, a test client) serves both; its CLI (`flask --app wsgi …`) is the operators'.
    """
    app = new_app(static_folder="static", template_folder="templates")
    load_config(app, test_config)
    require_issuer(app)
    logs.configure()  # one line per record, no user value can forge one (oauthsrv.logs)
    init_backoffice(app)
    audit.init_app(app)
    machine_app = create_machine_app(app)
    app.extensions[MACHINE_APP] = machine_app
    app.wsgi_app = security.StrictTransport(PathDispatcher(app.wsgi_app, machine_app))
    # A chunked body is measured before either app reads it: over the limit is 413, not cut.
    app.wsgi_app = inputs.TerminatedBody(app.wsgi_app, app.config)
    security.trust_proxies(app)  # around the dispatcher: both apps see the client's address
    return app


def new_app(**folders) -> Flask:
    app = Flask(
        __name__, instance_path=str(INSTANCE_PATH), instance_relative_config=True, **folders
    )
    inputs.install_converters(app)  # `<int:…>` stays within the id columns' range
    return app


def init_backoffice(app: Flask) -> None:
    """People: sessions, CSRF, login, HTML pages and htmx, the outbox, the CLI."""
    db.init_app(app)
    migrate.init_app(
        app, db, directory=str(INSTANCE_PATH.parent / "migrations"), render_as_batch=True
    )
    csrf.init_app(app)
    mail.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    throttle.init_app(app)
    security.init_backoffice(app)
    errors.init_app(app)
    templating.init_app(app)
    register_blueprints(app)
    register_cli(app)
    app.add_url_rule("/", "index", lambda: redirect(url_for("profile.show")))


def create_machine_app(backoffice: Flask) -> Flask:
    """Machines: the token endpoints, discovery and both APIs (oauthsrv.machine)."""
    app = new_app(static_folder=None, template_folder=None)
    app.config = backoffice.config  # one configuration: a change to one is seen by both
    db.init_app_sharing_engines(app, backoffice)
    # The failure counters: one store per process (memory://) or Redis, whichever app counts.
    app.extensions["throttle"] = backoffice.extensions["throttle"]
    audit.init_app(app, shared_with=backoffice)  # one buffer of audit events per process
    machine.init_app(app)
    oauth.init_app(app)
    api.init_app(app)
    health.register(app)  # /healthz, /readyz for load balancers
    return app


def machine_app_of(app: Flask) -> Flask:
    """The machine app create_app built beside the back-office `app`."""
    return app.extensions[MACHINE_APP]


def register_blueprints(app: Flask) -> None:
    from .auth import session  # noqa: F401  (registers the user loader)

    app.register_blueprint(auth.bp)
    app.register_blueprint(profile.bp)
    app.register_blueprint(customers.bp)
    notifications.init_app(app)  # the Notifications page, the outbox and its signal listener
    app.register_blueprint(applications.bp)
    app.register_blueprint(admin.bp)


def register_cli(app: Flask) -> None:
    """Every area's command group, under `flask --app wsgi …` (see README "Where things are")."""
    from .applications.cli import apps_cli
    from .cli import COMMANDS
    from .notifications.cli import notifications_cli
    from .oauth.cli import oauth_cli

    oauth_cli.add_command(apps_cli)  # `oauth apps …`: applications, beside `oauth keys …`
    for command in (*COMMANDS, oauth_cli, notifications_cli):
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
