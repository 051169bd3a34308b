"""Each private_key_jwt assertion is accepted once (RFC 7523 §3: `jti`), across every worker and
host: remembered in the database (`client_assertion_uses`) until the assertion expires, or in
Redis when OAUTH_ASSERTION_JTI_STORE names one. While that Redis does not answer, the database
takes over (it is shared too), with one warning.
"""

import functools
import hashlib
import logging
from datetime import UTC, datetime

from flask import current_app
from sqlalchemy import bindparam, delete

from ..extensions import db
from ..models import ClientAssertionUse
from . import clock, hot_reads

log = logging.getLogger(__name__)

REDIS_PREFIX = "oauthsrv:assertion-jti:"
_uses = ClientAssertionUse.__table__


def use_once(client_id: str, jti: str, expires_at: float) -> bool:
    """Record this (client, jti) as used until `expires_at` (epoch seconds); False if it was."""
    key = hashlib.sha256(f"{client_id}\n{jti}".encode()).hexdigest()
    store = current_app.config.get("OAUTH_ASSERTION_JTI_STORE")
    if store:
        first_use = _use_in_redis(store, key, expires_at)
        if first_use is not None:
            return first_use
    return _use_in_database(key, expires_at)


def _use_in_database(key: str, expires_at: float) -> bool:
    until = datetime.fromtimestamp(expires_at, UTC).replace(tzinfo=None)
    parameters = {"key": key, "until": until, "now": clock.now()}
    engine = db.engine
    statement = _insert_once(engine.dialect.name)
    before = DONT_WAIT_FOR_THE_DISK.get(engine.dialect.name)
    return hot_reads.write_one(engine, statement, parameters, before) is not None


# Commit without waiting for the write to reach the disk: the row is visible to every other
# connection at once (what replay protection needs); only a crash of the database host could
# lose the last fraction of a second of used jtis. Waiting for the disk was most of a
# private_key_jwt request's cost (docs/client_credentials.md). Set on the hot-read connection
# the write runs on, which commits nothing else.
DONT_WAIT_FOR_THE_DISK = {
    "postgresql": "SET synchronous_commit TO OFF",
    "sqlite": "PRAGMA synchronous=NORMAL",  # WAL: syncs at checkpoints, not at each commit
}


@functools.cache
def _insert_once(dialect: str):
    """INSERT … ON CONFLICT: a row comes back when the key is new, or when the row there is of
    an assertion that has expired since (rowcount would be -1 on psycopg). Built once."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    until = bindparam("until", type_=_uses.c.expires_at.type)
    return (
        insert(_uses)
        .values(key=bindparam("key"), expires_at=until)
        .on_conflict_do_update(
            index_elements=[_uses.c.key],
            set_={"expires_at": until},
            where=_uses.c.expires_at < bindparam("now", type_=_uses.c.expires_at.type),
        )
        .returning(_uses.c.key)
    )


def _use_in_redis(url: str, key: str, expires_at: float) -> bool | None:
    """True or False from Redis; None when it does not answer (the database decides)."""
    import redis

    ttl = max(1, int(expires_at - clock.timestamp()) + 1)
    try:
        return bool(_redis_client(url).set(REDIS_PREFIX + key, 1, nx=True, ex=ttl))
    except redis.RedisError as error:
        log.warning("assertion jti store: Redis unreachable (%s); using the database", error)
        return None


def _redis_client(url: str):
    import redis

    clients = current_app.extensions.setdefault("assertion_jti_redis", {})
    if url not in clients:
        clients[url] = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
    return clients[url]


def purge_expired() -> int:
    """Delete the records of assertions that have expired (`oauth cleanup`); how many."""
    with db.engine.begin() as connection:
        result = connection.execute(delete(_uses).where(_uses.c.expires_at < clock.now()))
    return result.rowcount
