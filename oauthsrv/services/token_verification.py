"""Verifying access tokens: signature and claims, then currency and revocation.

Used by the Bearer-protected APIs, introspection (RFC 7662) and revocation (RFC 7009). The
signature checks of a token are remembered per process; its currency never is: every
verification reads the application's state (services/client_state.py), one query.
"""

import functools
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import TokenRevocation
from ..models.base import utcnow
from . import audit, keys
from .access import ActingOwner
from .client_state import ClientState, load_client_state
from .tokens import (
    API_PATHS,
    LEEWAY_SECONDS,
    MAX_TOKEN_LENGTH,
    REQUIRED_CLAIMS,
    TOKEN_TYPE,
    InvalidToken,
    audience_for,
    current_issuer,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class VerifiedToken:
    """A verified, current access token and the application it was issued to."""

    client_id: str
    application_id: int
    kind: str
    organization_id: int
    owner_user_id: int | None
    owner_customer_user_id: int | None
    scopes: frozenset[str]
    jti: str
    issued_at: int
    expires_at: int
    claims: dict = field(repr=False)
    # verify_access_token(with_owner=True), backend tokens: the owner and organization it acts as.
    acting: ActingOwner | None = field(default=None, repr=False, compare=False)

    def has_scope(self, scope: str) -> bool:
        """Whether the token grants `scope`."""
        return scope in self.scopes


def decode_access_token(
    token: str, audience: str | list[str] | None = None, issuer: str | None = None
) -> dict:
    """The claims of a well-formed token signed by one of our published keys (RS256 only).

    Checks `typ`, `kid`, signature, `iss`, `aud` (default: either API), `exp`/`nbf`/`iat` with
    LEEWAY_SECONDS and the presence and types of the required claims. Does not check currency.
    Raises InvalidToken.
    """
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        raise InvalidToken("malformed token")
    issuer = issuer or current_issuer()
    if audience is None:
        audience = [audience_for(kind, issuer) for kind in API_PATHS]
    audiences = (audience,) if isinstance(audience, str) else tuple(audience)
    claims, kid = _verified_claims(token, issuer, audiences)
    # A remembered verdict is checked again for what changes with time: expiry, and whether
    # its key is still published (deleted, replaced with --force or retired: refused at once).
    if claims["exp"] <= time.time() - LEEWAY_SECONDS or keys.public_key_for(kid) is None:
        raise InvalidToken("expired, or its key is no longer published")
    return dict(claims)


# Clients reuse a token for up to an hour, and parsing plus the RSA check cost ~150 µs a call
# (PyJWT validates base64 character by character, twice). Only tokens that passed every check
# are remembered, per process; currency (revocation) is never cached: see verify_access_token.
DECODE_CACHE_SIZE = 4096


@functools.lru_cache(maxsize=DECODE_CACHE_SIZE)
def _verified_claims(token: str, issuer: str, audiences: tuple[str, ...]) -> tuple[dict, str]:
    """The claims and `kid` of a token whose signature, header and claims check out."""
    import jwt  # here, not at the top: commands that never see a token start without PyJWT

    public_key, kid = _public_key_of(token)
    try:
        claims = jwt.decode(
            token,
            public_key,
            algorithms=[keys.ALGORITHM],
            audience=list(audiences),
            issuer=issuer,
            leeway=LEEWAY_SECONDS,
            options={"require": list(REQUIRED_CLAIMS)},
        )
    except jwt.PyJWTError as error:
        raise InvalidToken(str(error)) from None
    _check_claim_types(claims)
    return claims, kid


def _public_key_of(token: str):
    """The published key named by the token's `kid`, once `alg` and `typ` are what we issue."""
    import jwt

    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as error:
        raise InvalidToken(str(error)) from None
    if header.get("alg") != keys.ALGORITHM:
        raise InvalidToken("unexpected alg")
    typ = header.get("typ")
    if not isinstance(typ, str) or typ.lower() not in (TOKEN_TYPE, "application/" + TOKEN_TYPE):
        raise InvalidToken("unexpected typ")
    kid = header.get("kid")
    public_key = keys.public_key_for(kid) if isinstance(kid, str) else None
    if public_key is None:
        raise InvalidToken("unknown kid")
    return public_key, kid


def _check_claim_types(claims: dict) -> None:
    strings = ("sub", "aud", "jti", "client_id", "scope")
    if not all(isinstance(claims[name], str) for name in strings):
        raise InvalidToken("claim of the wrong type")
    if not all(_is_int(claims[name]) for name in ("org_id", "gen", "exp", "iat", "nbf")):
        raise InvalidToken("claim of the wrong type")
    if claims["sub"] != claims["client_id"] or len(claims["jti"]) > 64:
        raise InvalidToken("inconsistent claims")


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def verify_access_token(
    token: str, audience: str, with_owner: bool = False, issuer: str | None = None
) -> VerifiedToken:
    """A valid and current access token for `audience` (see audience_for), else InvalidToken.

    One indexed query besides the signature check: application, owner, membership, revocation.
    With `with_owner` the same query also reads the owner's and organization's columns
    (VerifiedToken.acting), so the backend API needs no second query. `issuer`: the
    caller's current_issuer(), when it has it already.
    """
    claims = decode_access_token(token, audience, issuer)
    state = load_client_state(claims["client_id"], claims["jti"], with_owner)
    _check_current(state, claims, audience)
    return VerifiedToken(
        client_id=state.client_id,
        application_id=state.id,
        kind=state.kind,
        organization_id=state.organization_id,
        owner_user_id=state.owner_user_id,
        owner_customer_user_id=state.owner_customer_user_id,
        scopes=frozenset(claims["scope"].split()),
        jti=claims["jti"],
        issued_at=claims["iat"],
        expires_at=claims["exp"],
        claims=claims,
        acting=state.acting,
    )


def is_current(claims: dict) -> bool:
    """Whether a decoded token (decode_access_token) is still current, e.g. for introspection."""
    state = load_client_state(claims["client_id"], claims["jti"])
    try:
        _check_current(state, claims, claims["aud"])
    except InvalidToken:
        return False
    return True


def _check_current(state: ClientState | None, claims: dict, audience: str) -> None:
    if state is None:
        raise InvalidToken("application gone")
    if not state.is_current:
        raise InvalidToken("application, owner or membership no longer active")
    if state.generation != claims["gen"]:
        raise InvalidToken("application changed since the token was issued")
    if state.is_revoked:
        raise InvalidToken("token revoked")
    # The audience names one API; the application must still be of that API's kind.
    if audience_for(state.kind, claims["iss"]) != audience:
        raise InvalidToken("application of another kind")
    if state.organization_id != claims["org_id"]:
        raise InvalidToken("organization changed")


# -- revocation ---------------------------------------------------------------------------------


def revoke_access_token(claims: dict, application_id: int) -> None:
    """Record a token as revoked (RFC 7009) until it would have expired anyway; idempotent."""
    expires_at = datetime.fromtimestamp(claims["exp"], UTC).replace(tzinfo=None)
    expires_at += timedelta(seconds=LEEWAY_SECONDS)
    db.session.add(
        TokenRevocation(jti=claims["jti"], application_id=application_id, expires_at=expires_at)
    )
    try:
        db.session.commit()
    except IntegrityError:
        # Already revoked (or revoked concurrently): nothing more to do.
        db.session.rollback()
        return
    log.info("access token %s of %s revoked", claims["jti"], claims["client_id"])
    audit.record(
        audit.TOKEN_REVOKED,
        client_id=claims["client_id"],
        application_id=application_id,
        organization_id=claims["org_id"],
    )


def purge_expired_revocations() -> int:
    """Delete revocation records of tokens that have expired anyway; return how many."""
    result = db.session.execute(
        delete(TokenRevocation).where(TokenRevocation.expires_at < utcnow())
    )
    db.session.commit()
    return result.rowcount
