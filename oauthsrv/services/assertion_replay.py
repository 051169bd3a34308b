"""Each private_key_jwt assertion is accepted once (RFC 7523 §3: `jti`), across every worker and
host: remembered in the database (`client_assertion_uses`) until the assertion expires, or in
Redis when OAUTH_ASSERTION_JTI_STORE names one. While that Redis does not answer, the database
takes over (it is shared too), with one warning.
"""

import hashlib
import logging
from datetime import UTC, datetime

from flask import current_app
from sqlalchemy import delete

from ..extensions import db
from ..models import ClientAssertionUse
from . import clock

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
    insert = _dialect_insert().values(key=key, expires_at=until)
    # A row left by an assertion that has expired since does not block a new one.
    statement = insert.on_conflict_do_update(
        index_elements=[_uses.c.key],
        set_={"expires_at": until},
        where=_uses.c.expires_at < clock.now(),
    ).returning(_uses.c.key)  # a row back: inserted or taken over (rowcount is -1 on psycopg)
    with db.engine.begin() as connection:
        return connection.execute(statement).first() is not None


def _dialect_insert():
    if db.engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(_uses)


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
