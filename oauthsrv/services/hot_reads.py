"""One-row reads for the hot paths (token endpoint, APIs), run straight on a DBAPI connection.

Every token request and API call reads one row: the application's state (services/tokens.py).
The query itself is indexed and takes ~20 µs on SQLite; SQLAlchemy's execution around it (pool
checkout and reset, compiled-cache lookup, execution context, Result object) cost ~135 µs more
on SQLite and ~370 µs more on PostgreSQL, where each checkout also meant switching the driver's
autocommit on and off (measured on the 2-core machine, docs/tokens.md "Performance").

So here a statement is compiled once per dialect, and each engine keeps a few connections of
its own, detached from its pool, for these reads only: on PostgreSQL in autocommit (one round
trip, a fresh snapshot per statement; psycopg prepares the statement after five runs), on SQLite
outside any transaction (WAL: each read sees the last commit). Result values go through the
column types' own result processors, as SQLAlchemy would apply them (public API only:
TypeEngine.dialect_impl and result_processor, Compiled.positiontup).

SQLAlchemy's own path is kept wherever it is the safer choice: when anything listens to the
engine's cursor events (tracing, query counting), and for SQLite in memory (a second connection
would be another database). A read that finds its connection dropped by the server is retried
once on a new one. Driver errors leave here as SQLAlchemy's own exception classes (an
OperationalError for a server that is down or a SQLite file that is locked), as the same read
through SQLAlchemy would raise them, so callers and error handlers see one set of classes.
"""

import logging
import os
import threading
import weakref
from collections import namedtuple

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import SingletonThreadPool, StaticPool

log = logging.getLogger(__name__)

# Connections an engine keeps idle for hot reads; more are opened under concurrency and closed
# again when they come back to a full shelf.
MAX_IDLE = 4


class _Compiled:
    """A statement compiled for one dialect: SQL text, parameter order, result processors."""

    def __init__(self, statement, dialect):
        compiled = statement.compile(dialect=dialect)
        self.sql = str(compiled)
        self.positional = compiled.positiontup
        self.binds = compiled.binds
        self.dialect = dialect
        # A SELECT's columns, or what an INSERT … RETURNING returns.
        columns = getattr(statement, "selected_columns", None)
        if columns is None:
            columns = statement.exported_columns
        names = list(columns.keys())
        self.row_type = namedtuple("HotRow", names)
        # What SQLAlchemy's Result applies, through the public type API: the dialect's
        # implementation of each column type, asked for its result processor (the same
        # functions SQLAlchemy caches for itself, e.g. int_to_boolean and str_to_datetime on
        # SQLite; none on psycopg). Done once per statement, so no cost per read.
        processors = [
            column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns
        ]
        # Only the columns whose driver value needs converting (on SQLite: booleans, datetimes).
        self.conversions = [(i, process) for i, process in enumerate(processors) if process]

    def arguments(self, parameters: dict):
        if self.positional is not None:
            return tuple(parameters[name] for name in self.positional)
        return parameters

    def converted_arguments(self, parameters: dict):
        """arguments() after the bind parameters' own conversions (on SQLite: datetimes to
        SQLAlchemy's text form), for writes; reads pass plain values and skip this."""
        converted = dict(parameters)
        for name, process in self.bind_processors().items():
            if name in converted and converted[name] is not None:
                converted[name] = process(converted[name])
        return self.arguments(converted)

    def bind_processors(self) -> dict:
        if not hasattr(self, "_bind_processors"):
            self._bind_processors = {
                name: process
                for name, bind in self.binds.items()
                if (process := bind.type.dialect_impl(self.dialect).bind_processor(self.dialect))
            }
        return self._bind_processors

    def row(self, values):
        values = list(values)
        for index, process in self.conversions:
            values[index] = process(values[index])
        return self.row_type._make(values)


class _Shelf:
    """The idle connections of one engine for hot reads, outside its pool."""

    def __init__(self, engine: Engine):
        # Weak: the shelf is the value of a WeakKeyDictionary keyed by this engine.
        self.engine_ref = weakref.ref(engine)
        self.dialect = engine.dialect
        self.idle: list = []
        self.compiled: dict = {}
        self.lock = threading.Lock()
        self.pid = os.getpid()
        self.generation = 0  # bumped by engine.dispose(): connections of before are closed
        event.listen(engine, "engine_disposed", self.close_all)

    def take(self):
        with self.lock:
            if self.idle:
                return self.idle.pop()
            generation = self.generation
        return generation, self.open()

    def give_back(self, generation: int, connection) -> None:
        with self.lock:
            if generation == self.generation and len(self.idle) < MAX_IDLE:
                self.idle.append((generation, connection))
                return
        connection.close()

    def open(self):
        """A new connection from the engine (its connect events run), detached from the pool."""
        engine = self.engine_ref()
        try:
            proxied = engine.raw_connection()
        except engine.dialect.loaded_dbapi.Error as error:  # raw_connection does not wrap them
            raise _wrapped(engine, None, None, error, lost=True) from error
        proxied.detach()  # closing it now closes the DBAPI connection itself
        connection = proxied.dbapi_connection
        if self.dialect.name == "postgresql":
            connection.autocommit = True
        return connection

    def close_all(self, engine=None) -> None:
        with self.lock:
            self.generation += 1
            idle, self.idle = self.idle, []
        if os.getpid() != self.pid:
            return  # a forked child: these sockets are the parent's to close
        for _, connection in idle:
            _close_quietly(connection)

    def compiled_for(self, statement) -> _Compiled:
        compiled = self.compiled.get(statement)
        if compiled is None:
            compiled = self.compiled[statement] = _Compiled(statement, self.dialect)
        return compiled


_shelves: "weakref.WeakKeyDictionary[Engine, _Shelf]" = weakref.WeakKeyDictionary()


def _shelf_for(engine: Engine) -> _Shelf | None:
    """The engine's shelf, or None where SQLAlchemy's own path must run."""
    shelf = _shelves.get(engine)
    if shelf is not None and shelf.pid == os.getpid():
        return shelf
    if isinstance(engine.pool, SingletonThreadPool | StaticPool):
        return None  # SQLite in memory: a connection of our own would be another database
    shelf = _shelves[engine] = _Shelf(engine)
    return shelf


def read_one(engine: Engine, statement, parameters: dict):
    """The one row (or None) `statement` selects with `parameters`, outside any transaction.

    `parameters` maps bind parameter names to plain values the driver takes as they are.
    """
    dispatch = engine.dispatch
    listened = dispatch.before_cursor_execute or dispatch.after_cursor_execute
    shelf = None if listened else _shelf_for(engine)
    if shelf is None:
        return _read_with_sqlalchemy(engine, statement, parameters)
    compiled = shelf.compiled_for(statement)
    arguments = compiled.arguments(parameters)
    for attempt in (1, 2):
        generation, connection = shelf.take()
        try:
            values = _fetch(connection, compiled.sql, arguments)
        except engine.dialect.loaded_dbapi.Error as error:
            lost = engine.dialect.is_disconnect(error, connection, None)
            _close_quietly(connection)
            if not lost or attempt == 2:
                raise _wrapped(engine, compiled.sql, arguments, error, lost) from error
            # The server restarted or dropped idle connections: a read may simply be retried.
            log.warning("hot read: connection lost (%s); retrying on a new one", error)
            shelf.close_all()
            continue
        except BaseException:
            _close_quietly(connection)
            raise
        shelf.give_back(generation, connection)
        return None if values is None else compiled.row(values)


def _wrapped(engine: Engine, sql: str | None, arguments, error: Exception, lost: bool) -> Exception:
    """The driver's error as the SQLAlchemy exception its own execution would raise."""
    dbapi = engine.dialect.loaded_dbapi
    return DBAPIError.instance(
        sql, arguments, error, dbapi.Error, connection_invalidated=lost, dialect=engine.dialect
    )


def write_one(engine: Engine, statement, parameters: dict, before: str | None = None):
    """Run one INSERT … RETURNING in a transaction of its own, committed before this returns,
    on a hot-read connection; the row it returns, or None.

    `before`: SQL run first on the same connection, such as a setting for this write (it may
    stay on the connection, which only serves these reads and writes).
    """
    dispatch = engine.dispatch
    listened = dispatch.before_cursor_execute or dispatch.after_cursor_execute
    shelf = None if listened else _shelf_for(engine)
    if shelf is None:
        return _write_with_sqlalchemy(engine, statement, parameters, before)
    compiled = shelf.compiled_for(statement)
    arguments = compiled.converted_arguments(parameters)
    generation, connection = shelf.take()
    try:
        cursor = connection.cursor()
        try:
            if before:
                cursor.execute(before)
            cursor.execute(compiled.sql, arguments)
            values = cursor.fetchone()
        finally:
            cursor.close()
        if engine.dialect.name != "postgresql":  # PostgreSQL's are in autocommit
            connection.commit()
    except engine.dialect.loaded_dbapi.Error as error:
        # Never retried: whether a lost connection committed the write is unknown.
        lost = engine.dialect.is_disconnect(error, connection, None)
        _close_quietly(connection)  # perhaps inside a failed transaction: never reused
        raise _wrapped(engine, compiled.sql, arguments, error, lost) from error
    except BaseException:
        _close_quietly(connection)
        raise
    shelf.give_back(generation, connection)
    return None if values is None else compiled.row(values)


def _write_with_sqlalchemy(engine: Engine, statement, parameters: dict, before: str | None):
    with engine.connect() as connection:
        if before:
            connection.exec_driver_sql(before)
        row = connection.execute(statement, parameters).first()
        connection.commit()
        return row


def _fetch(connection, sql: str, arguments):
    cursor = connection.cursor()
    try:
        cursor.execute(sql, arguments)
        return cursor.fetchone()
    finally:
        cursor.close()  # ends SQLite's read of the statement, so no snapshot stays open


def _close_quietly(connection) -> None:
    try:
        connection.close()
    except Exception:  # noqa: BLE001  (it is being thrown away because it failed)
        log.debug("closing a failed hot-read connection failed", exc_info=True)


def _read_with_sqlalchemy(engine: Engine, statement, parameters: dict):
    """The same read through SQLAlchemy's execution (events fire; any pool works)."""
    with engine.connect() as connection:
        if connection.dialect.name != "postgresql":
            return connection.execute(statement, parameters).one_or_none()
        driver = connection.connection.driver_connection
        driver.autocommit = True  # one round trip: no BEGIN, no ROLLBACK on return
        try:
            return connection.execute(statement, parameters).one_or_none()
        finally:
            driver.autocommit = False
