"""The one read the "+ read" references add: a client's row by its client id, prepared.

Immediate revocation means one read of the shared database per token request and per API call,
so the fair floor for our endpoints is a bare Flask endpoint that does that same single read and
nothing else: one indexed `SELECT` of the application row, with the columns our state read
selects, on a connection this process opened once. PostgreSQL goes through psycopg in autocommit
with a server-side prepared statement (`prepare=True`: parsed and planned once per connection);
SQLite through the standard `sqlite3` module, whose statement cache prepares it once. Database
and client id come from BENCH_DATABASE_URI (the SQLAlchemy URI the app uses) and BENCH_CLIENT_ID.
"""

import os
import sqlite3

COLUMNS = (
    "id, client_id, client_secret_hash, kind, is_active, scopes, generation, organization_id,"
    " owner_user_id, owner_customer_user_id, last_used_at"
)
SQL = f"SELECT {COLUMNS} FROM oauth_applications WHERE client_id = "  # + the driver's placeholder

_reader = None


class _Postgres:
    def __init__(self, uri: str):
        import psycopg

        conninfo = uri.replace("postgresql+psycopg://", "postgresql://", 1)
        self.connection = psycopg.connect(conninfo, autocommit=True)
        self.sql = SQL + "%s"

    def read(self, client_id: str):
        return self.connection.execute(self.sql, (client_id,), prepare=True).fetchone()


class _SQLite:
    def __init__(self, uri: str):
        self.connection = sqlite3.connect(uri.removeprefix("sqlite:///"), isolation_level=None)
        self.sql = SQL + "?"

    def read(self, client_id: str):
        return self.connection.execute(self.sql, (client_id,)).fetchone()


def read_client():
    """The client's row (a tuple in COLUMNS order); the connection is opened on first use."""
    global _reader
    if _reader is None:  # in the worker, after gunicorn forked it
        uri = os.environ["BENCH_DATABASE_URI"]
        _reader = _Postgres(uri) if uri.startswith("postgresql") else _SQLite(uri)
    return _reader.read(os.environ["BENCH_CLIENT_ID"])
