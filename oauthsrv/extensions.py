"""Flask extensions as unbound singletons, bound to the apps in create_app."""

import importlib
import logging
from weakref import WeakKeyDictionary

import click
import flask_sqlalchemy
from flask import Flask
from flask_login import LoginManager
from flask_mail import Mail
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, exc
from sqlalchemy.engine import Engine

# A naming convention keeps constraint names stable, so Alembic migrations do not drift
# between SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# What a database that is down, restarting, unreachable or locked (SQLite: "database is locked"
# after the busy timeout) raises, through SQLAlchemy or the hot reads (services/hot_reads.py
# wraps its driver errors the same way); not a bug. A pool exhausted for too long is the same
# situation seen from here. Machine and back-office answer these with 503
# (machine.KNOWN_FAILURES); best-effort writes (Last Used) skip on them.
DATABASE_FAILURES: tuple[type[Exception], ...] = (exc.OperationalError, exc.TimeoutError)


def database_failure_reason(error: Exception) -> str:
    """What the driver said, in one line: never the statement or its parameters (they may hold
    an email or a password hash), which SQLAlchemy puts in the exception's text."""
    reason = str(getattr(error, "orig", None) or error).strip()
    return (reason.splitlines() or [type(error).__name__])[0]


def rollback_quietly() -> None:
    """Roll the session back after a failure. With the database gone the rollback may fail
    too; the failure being handled is the one that matters."""
    try:
        db.session.rollback()
    except DATABASE_FAILURES:
        pass


class SQLAlchemy(flask_sqlalchemy.SQLAlchemy):
    """Flask-SQLAlchemy, where the machine app uses the engine (and so the pool) of its
    back-office app instead of one of its own.

    Flask-SQLAlchemy keeps engines per app and builds them in init_app. Of the ways to make two
    apps share one, this takes the narrowest: `_make_engine`, the single method that builds an
    engine from an app's config (it is internal, "signature may change", but stable since 3.0
    and easy to check: tests/test_machine_app.py asserts both apps hold the same engine). The
    alternatives were worse: `SQLALCHEMY_ENGINE_OPTIONS={"pool": …}` is public but makes a
    second Engine over the pool (two compiled caches, two hot-read shelves, and dispose() on one
    would leave the other on a dead pool); writing into `engines` after init_app mutates a
    mapping documented as read-only and builds an engine only to throw it away.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._engine_sources: WeakKeyDictionary[Flask, Flask] = WeakKeyDictionary()

    def init_app_sharing_engines(self, app: Flask, source: Flask) -> None:
        """Bind `app` (same config as `source`) to the engines `source` already has."""
        self._engine_sources[app] = source
        self.init_app(app)

    def _make_engine(self, bind_key: str | None, options: dict, app: Flask) -> Engine:
        source = self._engine_sources.get(app)
        if source is None:
            return super()._make_engine(bind_key, options, app)
        with source.app_context():
            return self.engines[bind_key]


class LazyCommand(click.Command):
    """A command listed by name and help, imported only when it runs (its --help included)."""

    def __init__(self, name: str, import_path: str, help: str):
        super().__init__(name, help=help)
        self.import_path = import_path  # "module:attribute"

    def load(self) -> click.Command:
        module, attribute = self.import_path.split(":")
        return getattr(importlib.import_module(module), attribute)

    def make_context(self, info_name, args, parent=None, **extra) -> click.Context:
        # Click runs `context.command`, so from here on the real command parses and runs.
        return self.load().make_context(info_name, args, parent=parent, **extra)


class Migrate:
    """Flask-Migrate, imported only when a migration runs.

    Importing it imports Alembic (about 90 ms, a third of the package's import time), which
    only the `db` commands and flask_migrate's functions (`upgrade()` in the tests and scripts)
    need. Until then `app.extensions["migrate"]` holds a stand-in and `db` a LazyCommand.
    """

    def init_app(self, app: Flask, db, **options) -> None:
        # Alembic logs a line per built-in plugin as it is imported; imported now after logging
        # is set up, those lines would show on every `db` command.
        logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
        app.extensions["migrate"] = _MigrateOnFirstUse(app, db, options)
        app.cli.add_command(
            LazyCommand("db", "flask_migrate.cli:db", help="Perform database migrations.")
        )


class _MigrateOnFirstUse:
    """Binds Flask-Migrate to the app (replacing itself) when anything reads it."""

    def __init__(self, app: Flask, db, options: dict):
        self.app, self.db, self.options = app, db, options

    def __getattr__(self, name: str):
        from flask_migrate import Migrate

        Migrate(self.app, self.db, **self.options)  # sets app.extensions["migrate"] and `db`
        return getattr(self.app.extensions["migrate"], name)


db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING_CONVENTION))
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
mail = Mail()
