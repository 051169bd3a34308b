"""Access tokens: client authentication, minting, verification and revocation.

One place for what a valid token is, shared by the token endpoint, introspection, revocation and
the Bearer-protected APIs. The contract is described in docs/tokens.md.

A token is current while its application exists and is active, the application's `generation`
still equals the token's `gen` claim, the owner is active (a back-office owner still belongs to
the organization, or to a global-access one) and its `jti` is not in `token_revocations`.
All of that is read in one indexed query per verification.
"""

import functools
import logging
import re
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import jwt
from flask import current_app, request
from sqlalchemy import bindparam, delete, exists, or_, select, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import (
    CustomerUser,
    OAuthApplication,
    Organization,
    TokenRevocation,
    User,
    user_organizations,
)
from ..models.base import utcnow
from ..models.oauth import BACKEND, FRONTEND
from . import hot_reads, keys
from .applications import verify_client_secret

log = logging.getLogger(__name__)

TOKEN_TYPE = "at+jwt"  # RFC 9068 §2.1
# Clock skew tolerated on exp, nbf and iat, in seconds.
LEEWAY_SECONDS = 30
REQUIRED_CLAIMS = (
    "iss",
    "sub",
    "aud",
    "exp",
    "iat",
    "nbf",
    "jti",
    "client_id",
    "scope",
    "org_id",
    "gen",
)
API_PATHS = {BACKEND: "/admin/api", FRONTEND: "/api"}
# Last Used is written at most this often per application, so issuing needs no write mostly.
LAST_USED_INTERVAL = timedelta(seconds=60)
# Client ids are token_urlsafe(24); anything else cannot exist and is never sent to the database.
CLIENT_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")
MAX_TOKEN_LENGTH = 8192


class InvalidToken(Exception):
    """The token is not (or no longer) valid; the message is for logs, never for the caller."""


class KeysUnavailable(RuntimeError):
    """No usable signing key: tokens can be neither issued nor trusted."""


class InvalidScope(ValueError):
    """A requested scope is unknown or not allowed for the application."""


@dataclass(frozen=True)
class ClientState:
    """An application with what decides whether it may get (or still use) tokens."""

    id: int
    client_id: str
    client_secret_hash: str
    kind: str
    is_active: bool
    scopes: str
    generation: int
    organization_id: int
    owner_user_id: int | None
    owner_customer_user_id: int | None
    last_used_at: datetime | None
    is_current: bool  # active, in an active organization, owner active and still a member
    is_revoked: bool  # the jti asked about is in token_revocations
    # load_client_state(with_owner=True): the row with the owner's and organization's columns
    owner_row: object = field(default=None, repr=False, compare=False)

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()


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
    owner_row: object = field(default=None, repr=False, compare=False)

    def has_scope(self, scope: str) -> bool:
        """Whether the token grants `scope`."""
        return scope in self.scopes


# -- issuer and audiences ---------------------------------------------------------------------


def current_issuer() -> str:
    """OAUTH_ISSUER, else the URL root the request came to, without a trailing slash."""
    configured = current_app.config.get("OAUTH_ISSUER")
    if configured:
        return configured.rstrip("/")
    current = request._get_current_object()  # one context lookup instead of three
    return f"{current.scheme}://{current.host}{current.root_path}".rstrip("/")


def audience_for(kind: str, issuer: str | None = None) -> str:
    """The `aud` of tokens for applications of this kind: `<issuer>/admin/api` or `<issuer>/api`."""
    return (issuer or current_issuer()) + API_PATHS[kind]


# -- the application's state, in one query ---------------------------------------------------

# Core table columns, not ORM attributes: this runs on every token request and API call, and
# skipping the ORM's result processing halves its cost.
_apps = OAuthApplication.__table__
_orgs = Organization.__table__
_users = User.__table__
_customers = CustomerUser.__table__
_revocations = TokenRevocation.__table__
_global_org = _orgs.alias("global_org")
_membership = user_organizations.alias("membership")
_global_membership = user_organizations.alias("global_membership")

_STATE_QUERY = (
    select(
        _apps.c.id,
        _apps.c.client_id,
        _apps.c.client_secret_hash,
        _apps.c.kind,
        _apps.c.is_active,
        _apps.c.scopes,
        _apps.c.generation,
        _apps.c.organization_id,
        _apps.c.owner_user_id,
        _apps.c.owner_customer_user_id,
        _apps.c.last_used_at,
        _orgs.c.is_active.label("organization_active"),
        _users.c.is_active.label("user_active"),
        _customers.c.is_active.label("customer_active"),
        _customers.c.organization_id.label("customer_organization_id"),
        exists()
        .where(
            _membership.c.user_id == _apps.c.owner_user_id,
            _membership.c.organization_id == _apps.c.organization_id,
        )
        .label("is_member"),
        # As in the back-office: working in a global-access organization opens every other one.
        exists()
        .where(
            _global_membership.c.user_id == _apps.c.owner_user_id,
            _global_membership.c.organization_id == _global_org.c.id,
            _global_org.c.is_global_access.is_(True),
            _global_org.c.is_active.is_(True),
        )
        .label("has_global_access"),
        exists().where(_revocations.c.jti == bindparam("jti")).label("is_revoked"),
    )
    .select_from(
        _apps.join(_orgs, _orgs.c.id == _apps.c.organization_id)
        .outerjoin(_users, _users.c.id == _apps.c.owner_user_id)
        .outerjoin(_customers, _customers.c.id == _apps.c.owner_customer_user_id)
    )
    .where(_apps.c.client_id == bindparam("client_id"))
)


# For the backend API: the acting owner's and the organization's columns ride along with the
# currency check, so a request needs one round trip instead of two.
_STATE_WITH_OWNER_QUERY = _STATE_QUERY.add_columns(
    _users.c.email.label("user_email"),
    _users.c.name.label("user_name"),
    _users.c.is_admin.label("user_is_admin"),
    _users.c.created_at.label("user_created_at"),
    _orgs.c.name.label("organization_name"),
    _orgs.c.is_global_access.label("organization_global_access"),
)


def load_client_state(
    client_id: str, jti: str | None = None, with_owner: bool = False
) -> ClientState | None:
    """The application with this client id and whether `jti` is revoked, in one query.

    With `with_owner`, the state also carries the owner's and organization's columns the
    backend API shows (ClientState.owner_row).
    """
    if not isinstance(client_id, str) or not CLIENT_ID_PATTERN.fullmatch(client_id):
        return None
    parameters = {"client_id": client_id, "jti": jti or ""}
    statement = _STATE_WITH_OWNER_QUERY if with_owner else _STATE_QUERY
    row = hot_reads.read_one(db.engine, statement, parameters)
    return None if row is None else _state_from_row(row, with_owner)


def _state_from_row(row, with_owner: bool = False) -> ClientState:
    if row.kind == BACKEND:
        owner_ok = bool(row.user_active) and bool(row.is_member or row.has_global_access)
    else:
        owner_ok = bool(row.customer_active) and row.customer_organization_id == row.organization_id
    return ClientState(
        id=row.id,
        client_id=row.client_id,
        client_secret_hash=row.client_secret_hash,
        kind=row.kind,
        is_active=bool(row.is_active),
        scopes=row.scopes,
        generation=row.generation,
        organization_id=row.organization_id,
        owner_user_id=row.owner_user_id,
        owner_customer_user_id=row.owner_customer_user_id,
        last_used_at=row.last_used_at,
        is_current=bool(row.is_active) and bool(row.organization_active) and owner_ok,
        is_revoked=bool(row.is_revoked),
        owner_row=row if with_owner else None,
    )


# -- client authentication --------------------------------------------------------------------


def authenticate_client(client_id: str | None, client_secret: str | None) -> ClientState | None:
    """The current application these credentials belong to, else None.

    Unknown client, wrong secret, inactive application or owner: the same answer after the same
    work (one query, one keyed hash, a constant-time comparison), so nothing can be enumerated.
    """
    state = load_client_state(client_id or "")
    secret_ok = verify_client_secret(state, client_secret or "")
    return state if secret_ok and state is not None and state.is_current else None


# -- minting ----------------------------------------------------------------------------------


def resolve_scopes(allowed: list[str], requested: str | None) -> list[str]:
    """The scopes to grant: all allowed when none are asked for; raise InvalidScope otherwise."""
    wanted = (requested or "").split()
    if not wanted:
        return list(allowed)
    if not set(wanted) <= set(allowed):
        raise InvalidScope("A requested scope is unknown or not allowed for this client.")
    return [scope for scope in allowed if scope in wanted]


def issue_access_token(application, scopes: list[str]) -> dict:
    """Sign an RFC 9068 access token for `application` (a ClientState or an OAuthApplication).

    Returns the token response members: token_type, expires_in, access_token, scope.
    Raises KeysUnavailable when no signing key can be loaded.
    """
    signing_key = keys.load_signing_key()
    if signing_key is None:
        raise KeysUnavailable("no usable signing key")
    ttl = int(current_app.config["OAUTH_ACCESS_TOKEN_TTL"])
    claims = _claims(application, scopes, ttl)
    headers = {"typ": TOKEN_TYPE, "kid": signing_key.kid}
    token = jwt.encode(claims, signing_key.private_key, algorithm=keys.ALGORITHM, headers=headers)
    return {
        "token_type": "Bearer",
        "expires_in": ttl,
        "access_token": token,
        "scope": claims["scope"],
    }


def _claims(application, scopes: list[str], ttl: int) -> dict:
    now = int(time.time())
    issuer = current_issuer()
    return {
        "iss": issuer,
        "sub": application.client_id,
        "aud": audience_for(application.kind, issuer),
        "exp": now + ttl,
        "iat": now,
        "nbf": now,
        "jti": secrets.token_urlsafe(16),
        "client_id": application.client_id,
        "scope": " ".join(scopes),
        "org_id": application.organization_id,
        "gen": application.generation,
    }


def touch_last_used(state: ClientState) -> None:
    """Record the application's use, at most once per LAST_USED_INTERVAL (a write is rare)."""
    now = utcnow()
    if state.last_used_at is not None and now - state.last_used_at < LAST_USED_INTERVAL:
        return
    # Conditional, so concurrent workers write once; updated_at is kept as it is.
    db.session.execute(
        update(OAuthApplication)
        .where(
            OAuthApplication.id == state.id,
            or_(
                OAuthApplication.last_used_at.is_(None),
                OAuthApplication.last_used_at < now - LAST_USED_INTERVAL,
            ),
        )
        .values(last_used_at=now, updated_at=OAuthApplication.updated_at)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


# -- verification -----------------------------------------------------------------------------


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
    (VerifiedToken.owner_row), so the backend API needs no second query. `issuer`: the
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
        owner_row=state.owner_row,
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


# -- revocation -------------------------------------------------------------------------------


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


def purge_expired_revocations() -> int:
    """Delete revocation records of tokens that have expired anyway; return how many."""
    result = db.session.execute(
        delete(TokenRevocation).where(TokenRevocation.expires_at < utcnow())
    )
    db.session.commit()
    return result.rowcount
