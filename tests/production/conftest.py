"""Fixtures for the production tests: gunicorn, a PostgreSQL and a Redis of the tests' own.

Every test here is `slow` (servers of its own, seconds each): CI runs them once, in the SQLite
pass. Nothing here uses OAUTHSRV_TEST_DATABASE_URI or the shared servers; the PostgreSQL and
Redis started here may be stopped and started by a test.
"""

import os
from pathlib import Path

import pytest
from production_helpers import new_database

from scripts.cluster import Gunicorn, PrivatePostgres, PrivateRedis


def pytest_collection_modifyitems(config, items):
    """Runs once (in the SQLite pass): these tests bring their own databases.

    Each module here also says `pytestmark = pytest.mark.slow`, so `-m slow` selects them.
    """
    here = Path(__file__).parent
    for item in items:
        if Path(item.fspath).is_relative_to(here):
            if os.environ.get("OAUTHSRV_TEST_DATABASE_URI"):
                item.add_marker(pytest.mark.skip(reason="slow: runs once, in the SQLite pass"))


@pytest.fixture(scope="session")
def postgres_server():
    """One PostgreSQL cluster for the session; each test takes a database of its own."""
    server = PrivatePostgres().init()
    yield server
    server.destroy()


@pytest.fixture
def postgres_uri(postgres_server):
    """A new, empty database on our own PostgreSQL (started again if a test left it stopped)."""
    if not (postgres_server.data / "postmaster.pid").exists():
        postgres_server.start()
    return new_database(postgres_server)


@pytest.fixture
def redis_server():
    server = PrivateRedis().start()
    yield server
    server.stop()


@pytest.fixture
def servers():
    """Start gunicorn instances with `servers.start(...)`; all are stopped after the test."""
    started: list[Gunicorn] = []

    class Servers:
        def start(self, env: dict, log_path: Path, workers: int = 2) -> Gunicorn:
            server = Gunicorn(env, workers, log_path).start()
            started.append(server)
            return server

    yield Servers()
    for server in started:
        server.stop()
