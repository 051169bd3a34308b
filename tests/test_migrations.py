"""The schema comes from Alembic migrations and matches the models, on SQLite and PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect

from oauthsrv import create_app
from oauthsrv.extensions import db
from tests.conftest import ISSUER


def test_migrated_schema_matches_the_models(app):
    with db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
    assert differences == []


def test_upgrade_builds_an_empty_sqlite_database_from_nothing(tmp_path):
    uri = f"sqlite:///{tmp_path / 'fresh.db'}"
    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": uri, "OAUTH_ISSUER": ISSUER})
    with app.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert {"users", "organizations", "oauth_applications", "mail_messages"} <= tables
        downgrade(revision="base")
        assert inspect(db.engine).get_table_names() == ["alembic_version"]
        db.engine.dispose()


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path):
    uri = f"sqlite:///{tmp_path / 'wal.db'}"
    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": uri, "OAUTH_ISSUER": ISSUER})
    with app.app_context():
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
        db.engine.dispose()


def test_database_under_test_is_at_the_latest_revision(app):
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_heads()
    engine.dispose()
    assert len(current) == 1
