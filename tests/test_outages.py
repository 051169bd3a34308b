"""A database that is down or locked: 503 with Retry-After everywhere, never a 500, never a
stale 200 nor a 401; recovery without a restart; Last Used is best effort.

PostgreSQL: a cluster this module starts itself (scripts.cluster.PrivatePostgres), stopped and
started again mid-test; never the shared server. SQLite: the test database's file, with a write
lock held by another connection.
"""

import logging
import sqlite3
import uuid

import psycopg
import pytest
from flask import g
from flask_migrate import upgrade
from sqlalchemy import event

from oauthsrv import create_app
from oauthsrv.extensions import db
from oauthsrv.machine import RETRY_AFTER_SECONDS
from oauthsrv.models import OAuthApplication
from oauthsrv.services import accounts, applications, audit
from scripts.cluster import PrivatePostgres
from tests.conftest import TEST_PASSWORD, base_config

UNAVAILABLE = {
    "error": "temporarily_unavailable",
    "error_description": "The service is temporarily unavailable.",
}


def token_response(client, client_id: str, secret: str):
    return client.post(
        "/oauth2-token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
    )


def assert_oauth_503(response) -> None:
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.json == UNAVAILABLE
    assert response.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert response.headers["Cache-Control"] == "no-store"


def assert_api_503(response) -> None:
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.mimetype == "application/vnd.api+json"
    assert response.json["errors"][0]["status"] == "503"
    assert response.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)


def assert_page_503(response) -> None:
    assert response.status_code == 503
    assert response.mimetype == "text/html"
    assert "Service Unavailable" in response.get_data(as_text=True)
    assert response.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)


def no_tracebacks(caplog) -> list[str]:
    """Log lines with a traceback or at ERROR: a known failure is one warning, no more."""
    return [r.getMessage() for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


# -- PostgreSQL stopped and started ---------------------------------------------------------------


@pytest.fixture(scope="module")
def private_postgres():
    server = PrivatePostgres().init()
    yield server
    server.destroy()


@pytest.fixture
def pg_app(private_postgres, key_paths, tmp_path):
    """An app on a new database of the module's own PostgreSQL (started if a test stopped it)."""
    if not (private_postgres.data / "postmaster.pid").exists():
        private_postgres.start()
    name = f"t_{uuid.uuid4().hex[:12]}"
    dsn = f"host=127.0.0.1 port={private_postgres.port} user=postgres dbname=postgres"
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    uri = f"postgresql+psycopg://postgres@127.0.0.1:{private_postgres.port}/{name}"
    private_path, public_path = key_paths
    app = create_app(
        base_config(
            uri,
            OAUTH_PRIVATE_KEY_PATH=str(private_path),
            OAUTH_PUBLIC_KEY_PATH=str(public_path),
            MAIL_FILE_DIRECTORY=str(tmp_path / "mail"),
        )
    )
    app.before_request_funcs.setdefault(None, []).insert(0, lambda: g.__dict__.clear())
    with app.app_context():
        upgrade()
        yield app
        audit.flush()  # now, while this database exists (else at exit, when it is gone)
        db.session.remove()
        db.engine.dispose()


@pytest.mark.slow
def test_postgresql_down_answers_503_everywhere_and_recovers_without_restart(
    pg_app, private_postgres, caplog
):
    accounts.create_organization("Acme")
    owner = accounts.create_user("owner@example.com", TEST_PASSWORD, "Olivia", ["Acme"])
    application, secret = applications.create_application(
        owner, owner.organizations[0], "Integration", created_by="test"
    )
    client_id = application.client_id
    machine = pg_app.test_client()
    person = pg_app.test_client()
    login = person.post("/admin/login", data={"email": owner.email, "password": TEST_PASSWORD})
    assert login.status_code == 302
    issued = token_response(machine, client_id, secret)
    assert issued.status_code == 200
    access_token = issued.json["access_token"]
    bearer = {"Authorization": f"Bearer {access_token}"}
    assert machine.get("/admin/api/me", headers=bearer).status_code == 200
    db.session.remove()

    private_postgres.stop()
    caplog.clear()
    assert_oauth_503(token_response(machine, client_id, secret))
    form = {"token": access_token}
    assert_oauth_503(machine.post("/oauth2-token/introspect", data=form, auth=(client_id, secret)))
    assert_oauth_503(machine.post("/oauth2-token/revoke", data=form, auth=(client_id, secret)))
    # Never 200 from stale state, never the 401 that would make a client drop a good token.
    assert_api_503(machine.get("/admin/api/me", headers=bearer))
    assert_page_503(person.get("/admin/profile"))
    assert_page_503(person.get("/admin/login"))
    audit.record(audit.USER_DEACTIVATED)  # outside a request: written at once, or not at all
    assert no_tracebacks(caplog) == []
    assert "OperationalError on POST /oauth2-token" in caplog.text
    assert "events not written (database: connection failed" in caplog.text
    assert secret not in caplog.text

    private_postgres.start()
    db.session.remove()
    assert token_response(machine, client_id, secret).status_code == 200
    assert machine.get("/admin/api/me", headers=bearer).status_code == 200
    introspected = machine.post("/oauth2-token/introspect", data=form, auth=(client_id, secret))
    assert introspected.json["active"] is True
    assert person.get("/admin/profile").status_code == 200
    assert no_tracebacks(caplog) == []


# -- SQLite: a write lock held by another connection ---------------------------------------------


@pytest.fixture
def locked_sqlite(app):
    """Lock the test's SQLite file for writing (readers still read: WAL), as a long write of
    another process would; our connections give up after 50 ms instead of 5 s."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("a SQLite write lock")

    def short_busy_timeout(connection, record):
        connection.execute("PRAGMA busy_timeout=50")

    event.listen(db.engine, "connect", short_busy_timeout)
    db.engine.dispose()
    holder = sqlite3.connect(db.engine.url.database, isolation_level=None)
    locked = []

    class Lock:
        def __enter__(self):
            db.session.remove()
            holder.execute("BEGIN IMMEDIATE")
            locked.append(True)

        def __exit__(self, *exc):
            holder.execute("ROLLBACK")
            db.session.remove()

    yield Lock()
    holder.close()
    event.remove(db.engine, "connect", short_busy_timeout)
    db.engine.dispose()


def test_sqlite_locked_token_still_issued_without_last_used(client, backend, locked_sqlite, caplog):
    with locked_sqlite:
        issued = token_response(client, backend.client_id, backend.secret)
    assert issued.status_code == 200 and issued.json["access_token"]
    assert db.session.get(OAuthApplication, backend.id).last_used_at is None
    assert "Last Used of application" in caplog.text and "database is locked" in caplog.text
    assert no_tracebacks(caplog) == []
    # Written by the next token request once the lock is gone.
    assert token_response(client, backend.client_id, backend.secret).status_code == 200
    db.session.remove()
    assert db.session.get(OAuthApplication, backend.id).last_used_at is not None


def test_sqlite_locked_revocation_answers_503_then_revokes(client, backend, locked_sqlite, caplog):
    access_token = token_response(client, backend.client_id, backend.secret).json["access_token"]
    form, credentials = {"token": access_token}, (backend.client_id, backend.secret)
    with locked_sqlite:
        assert_oauth_503(client.post("/oauth2-token/revoke", data=form, auth=credentials))
    assert no_tracebacks(caplog) == []
    bearer = {"Authorization": f"Bearer {access_token}"}
    assert client.get("/admin/api/me", headers=bearer).status_code == 200  # not revoked
    assert client.post("/oauth2-token/revoke", data=form, auth=credentials).status_code == 200
    assert client.get("/admin/api/me", headers=bearer).status_code == 401


def test_sqlite_locked_create_application_shows_the_503_page(
    client, auth, owner, locked_sqlite, caplog
):
    email = owner.email
    auth.login(email)
    data = {"name": "Blocked", "is_active": "y"}
    headers = {"HX-Request": "true"}
    with locked_sqlite:
        answer = client.post("/admin/profile/applications/new", data=data, headers=headers)
    assert_page_503(answer)
    assert no_tracebacks(caplog) == []
    assert applications.all_applications(email) == []
    created = client.post("/admin/profile/applications/new", data=data, headers=headers)
    assert created.status_code == 200
    assert [a.name for a in applications.all_applications(email)] == ["Blocked"]
