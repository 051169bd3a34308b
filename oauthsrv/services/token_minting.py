"""Issuing access tokens: the scopes a request gets and the signed RFC 9068 JWT.

The token endpoint resolves scopes once, in the grant (oauth/server.py), and signs with them.
"""

import logging
import secrets
import time
from datetime import timedelta

from flask import current_app
from sqlalchemy import or_, update

from ..extensions import DATABASE_FAILURES, database_failure_reason, db, rollback_quietly
from ..models import OAuthApplication
from ..models.base import utcnow
from . import keys
from .client_state import ClientState
from .tokens import TOKEN_TYPE, InvalidScope, KeysUnavailable, audience_for, current_issuer

log = logging.getLogger(__name__)

# Last Used is written at most this often per application, so issuing needs no write mostly.
LAST_USED_INTERVAL = timedelta(seconds=60)


def resolve_scopes(allowed: list[str], requested: str | None) -> list[str]:
    """The scopes to grant: all allowed when none are asked for; raise InvalidScope otherwise."""
    wanted = (requested or "").split()
    if not wanted:
        return list(allowed)
    if not set(wanted) <= set(allowed):
        raise InvalidScope("A requested scope is unknown or not allowed for this client.")
    return [scope for scope in allowed if scope in wanted]


def issue_access_token(state: ClientState, scope: str) -> dict:
    """Sign an RFC 9068 access token for the application, granting `scope` (resolve_scopes'
    result, space-delimited).

    Returns the token response members: token_type, expires_in, access_token, scope.
    Raises KeysUnavailable when no signing key can be loaded.
    """
    import jwt  # here, not at the top: commands that never sign a token start without PyJWT

    signing_key = keys.load_signing_key()
    if signing_key is None:
        raise KeysUnavailable("no usable signing key")
    ttl = int(current_app.config["OAUTH_ACCESS_TOKEN_TTL"])
    claims = _claims(state, scope, ttl)
    headers = {"typ": TOKEN_TYPE, "kid": signing_key.kid}
    token = jwt.encode(claims, signing_key.private_key, algorithm=keys.ALGORITHM, headers=headers)
    return {
        "token_type": "Bearer",
        "expires_in": ttl,
        "access_token": token,
        "scope": claims["scope"],
    }


def _claims(state: ClientState, scope: str, ttl: int) -> dict:
    now = int(time.time())
    issuer = current_issuer()
    return {
        "iss": issuer,
        "sub": state.client_id,
        "aud": audience_for(state.kind, issuer),
        "exp": now + ttl,
        "iat": now,
        "nbf": now,
        "jti": secrets.token_urlsafe(16),
        "client_id": state.client_id,
        "scope": scope,
        "org_id": state.organization_id,
        "gen": state.generation,
    }


def touch_last_used(state: ClientState) -> None:
    """Record the application's use, at most once per LAST_USED_INTERVAL (a write is rare).

    Best effort: a database that cannot take the write (locked, gone since the read) does not
    cost the client its token; the next token request writes it.
    """
    now = utcnow()
    if state.last_used_at is not None and now - state.last_used_at < LAST_USED_INTERVAL:
        return
    try:
        _write_last_used(state.id, now)
    except DATABASE_FAILURES as error:
        rollback_quietly()
        reason = database_failure_reason(error)
        log.warning("Last Used of application %s not written: %s", state.id, reason)


def _write_last_used(application_id: int, now) -> None:
    # Conditional, so concurrent workers write once; updated_at is kept as it is.
    db.session.execute(
        update(OAuthApplication)
        .where(
            OAuthApplication.id == application_id,
            or_(
                OAuthApplication.last_used_at.is_(None),
                OAuthApplication.last_used_at < now - LAST_USED_INTERVAL,
            ),
        )
        .values(last_used_at=now, updated_at=OAuthApplication.updated_at)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
