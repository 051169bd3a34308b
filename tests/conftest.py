"""Shared fixtures: an app on a real database (SQLite, or PostgreSQL via
OAUTHSRV_TEST_DATABASE_URI), throwaway signing keys, factories and a served app."""

import os
import shutil
import threading
from datetime import timedelta

import pytest
from credentials import credentials
from flask import g
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from werkzeug.serving import WSGIRequestHandler, make_server

from oauthsrv import create_app
from oauthsrv.extensions import db
from oauthsrv.services import accounts, applications, audit
from oauthsrv.services import clock as clock_module

TEST_PASSWORD = "correct-horse-battery"
# The issuer of the apps under test: the test client's URL root (a live server sets its own).
ISSUER = "http://localhost"


@pytest.fixture(scope="session")
def database_uri(tmp_path_factory):
    """A freshly migrated database for the whole run."""
    uri = os.environ.get("OAUTHSRV_TEST_DATABASE_URI")
    if not uri:
        uri = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    else:
        reset_postgres_schema(uri)
    app = create_app(base_config(uri))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return uri


def reset_postgres_schema(uri: str) -> None:
    engine = create_engine(uri)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def base_config(uri: str, **overrides) -> dict:
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": uri,
        "SECRET_KEY": "test-secret-key",
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        "MAIL_SERVER": "",
        "OAUTH_ISSUER": ISSUER,
        # Tests change key files behind the app's back and expect the very next request to see it.
        "OAUTH_KEYS_RECHECK_SECONDS": 0,
        # Audit events are written after each response that recorded one: no timer outlives
        # a test and writes into the next one's tables.
        "AUDIT_FLUSH_SECONDS": 0,
    }
    config.update(overrides)
    return config


@pytest.fixture(scope="session")
def key_pair_dir(tmp_path_factory, database_uri):
    """One RSA key pair for the run (generating one per test would cost seconds)."""
    directory = tmp_path_factory.mktemp("keys")
    app = create_app(
        base_config(
            database_uri,
            OAUTH_PRIVATE_KEY_PATH=str(directory / "private.key"),
            OAUTH_PUBLIC_KEY_PATH=str(directory / "public.key"),
        )
    )
    with app.app_context():
        from oauthsrv.services.keys import generate_keys

        generate_keys()
    return directory


@pytest.fixture
def key_paths(tmp_path, key_pair_dir):
    """This test's own copy of the key pair, free to delete or corrupt."""
    directory = tmp_path / "keys"
    shutil.copytree(key_pair_dir, directory)
    return directory / "private.key", directory / "public.key"


@pytest.fixture
def app_config(database_uri, key_paths, tmp_path):
    """Settings for this test's app; a test module may override this fixture."""
    private_path, public_path = key_paths
    return base_config(
        database_uri,
        OAUTH_PRIVATE_KEY_PATH=str(private_path),
        OAUTH_PUBLIC_KEY_PATH=str(public_path),
        # No SMTP server in tests: mail goes to files here, never into instance/mail/.
        MAIL_FILE_DIRECTORY=str(tmp_path / "mail"),
        # The host's counters (used while a test's Redis is down), never instance/'s.
        THROTTLE_FILE=str(tmp_path / "throttle.sqlite"),
    )


@pytest.fixture
def app(app_config):
    app = create_app(app_config)
    # The test keeps an app context open (for the factories and db.session) and Flask reuses it
    # for test-client requests, so `g` would leak from one request to the next (a stale CSRF
    # token, a cached organization). Each request starts with an empty `g`, as in production.
    app.before_request_funcs.setdefault(None, []).insert(0, lambda: g.__dict__.clear())
    with app.app_context():
        yield app
        # Written now and emptied away: a buffer left for the exit hook would open one more
        # connection per test app at exit ("too many clients" on PostgreSQL).
        audit.flush()
        db.session.remove()
        empty_all_tables()
        db.engine.dispose()


def empty_all_tables() -> None:
    """Leave the database as migrated, for the next test."""
    tables = list(reversed(db.metadata.sorted_tables))
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(table.name for table in tables)
        with db.engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        return
    with db.engine.begin() as connection:
        for table in tables:
            connection.execute(table.delete())


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class AuthActions:
    """Logs in through the real login form."""

    def __init__(self, client):
        self._client = client

    def login(self, email="user@example.com", password=TEST_PASSWORD):
        return self._client.post("/admin/login", data={"email": email, "password": password})

    def logout(self):
        return self._client.post("/admin/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def make_org(app):
    def make(name="Acme", is_global_access=False):
        return accounts.find_organization(name) or accounts.create_organization(
            name, is_global_access=is_global_access
        )

    return make


@pytest.fixture
def make_user(app, make_org):
    counter = iter(range(1, 10_000))

    def make(email=None, orgs=("Acme",), password=TEST_PASSWORD, name="Test User", **kwargs):
        for org in orgs:
            make_org(org)
        email = email or f"user{next(counter)}@example.com"
        return accounts.create_user(email, password, name, list(orgs), **kwargs)

    return make


@pytest.fixture
def make_application(app):
    """Create an application through the service; returns (application, client_secret)."""

    def make(owner, name="Integration", organization=None, **kwargs):
        organization = organization or (
            owner.organization if hasattr(owner, "organization") else owner.organizations[0]
        )
        return applications.create_application(
            owner, organization, name, created_by="test", **kwargs
        )

    return make


@pytest.fixture
def owner(make_user):
    """A back-office user (not an administrator) in Acme, owner of `backend`."""
    return make_user(email="owner@example.com", orgs=("Acme",), name="Olivia Owner")


@pytest.fixture
def customer(make_org):
    """A storefront customer user of Acme, owner of `frontend`."""
    make_org("Acme")
    return accounts.create_customer_user("customer@example.com", "Cody Customer", "Acme")


@pytest.fixture
def backend(owner, make_application):
    """A backend application with every backend scope, and its credentials."""
    return credentials(*make_application(owner, name="Backend integration"))


@pytest.fixture
def frontend(customer, make_application):
    """A frontend application owned by the customer user, and its credentials."""
    return credentials(*make_application(customer, name="Storefront integration"))


# The environ key under which the live server keeps a response, to close it if the client hangs up.
LIVE_RESPONSE = "tests.live_server.response"


class LiveRequestHandler(WSGIRequestHandler):
    """Werkzeug's request handler, closing the response of a client that hung up.

    Werkzeug 3.1's `run_wsgi` reads what is left of the request before it calls the response's
    `close()`; when the client has reset the connection (Chromium abandoning the favicon as a test
    moves on) that read raises, `close()` is skipped and the file `send_file` opened is left to
    the garbage collector: a ResourceWarning, an error under `filterwarnings = error`, blamed on
    whichever test runs at that moment.
    """

    def connection_dropped(self, error, environ=None):
        response = environ.pop(LIVE_RESPONSE, None) if environ else None
        if hasattr(response, "close"):
            response.close()  # closing twice (if Werkzeug got there) does nothing more

    def handle(self):
        try:
            super().handle()
        finally:
            self.server.handled.release()


def remembering_responses(app):
    """The WSGI app, keeping each response in its environ for LiveRequestHandler."""

    def remembering(environ, start_response):
        environ[LIVE_RESPONSE] = response = app(environ, start_response)
        return response

    return remembering


class LiveServer:
    """The app served over real HTTP on 127.0.0.1, in a background thread."""

    def __init__(self, app):
        self.server = make_server(
            "127.0.0.1",
            0,
            remembering_responses(app),
            threaded=True,
            request_handler=LiveRequestHandler,
        )
        self.server.handled = threading.Semaphore(0)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def wait_until_handled(self, requests: int) -> None:
        """Wait until this many more requests have been answered (their threads done)."""
        for _ in range(requests):
            assert self.server.handled.acquire(timeout=10), "a request was not answered in 10 s"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.thread.join(timeout=5)


@pytest.fixture
def live_server(app):
    """The app served; its issuer is the URL clients reach it at (production's OAUTH_ISSUER)."""
    with LiveServer(app) as server:
        app.config["OAUTH_ISSUER"] = server.url
        yield server


class Clock:
    """The credential rules' clock (services/clock.py), stopped and moved by the test."""

    def __init__(self, start):
        self.at = start

    def now(self):
        return self.at

    def advance(self, **delta) -> None:
        self.at += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    """Stop the credential clock at the real now; `clock.advance(hours=1)` moves it."""
    stopped = Clock(clock_module.now())
    monkeypatch.setattr(clock_module, "now", stopped.now)
    return stopped
