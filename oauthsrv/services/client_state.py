"""An application's state, read in one indexed query: the hot read of every token request and
API call, and client authentication on top of it.

A token is current while its application exists and is active, the application's `generation`
still equals the token's `gen` claim, the owner is active (a back-office owner still belongs to
the organization, or has global access: services/access.py) and its `jti` is not in
`token_revocations`. All of that is this one query (services/token_verification.py applies it).
"""

import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, exists, select

from ..extensions import db
from ..models import (
    CustomerUser,
    OAuthApplication,
    Organization,
    TokenRevocation,
    User,
    user_organizations,
)
from ..models.oauth import BACKEND, CLIENT_SECRET
from . import hot_reads
from .access import ActingOwner, ActingUser, OrganizationView, has_global_access_clause
from .applications import matching_secret
from .audit import INACTIVE, UNKNOWN_CLIENT, WRONG_SECRET

# Client ids are token_urlsafe(24); anything else cannot exist and is never sent to the database.
CLIENT_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass(frozen=True)
class ClientState:
    """An application with what decides whether it may get (or still use) tokens."""

    id: int
    client_id: str
    client_secret_hash: str
    previous_client_secret_hash: str | None
    previous_secret_expires_at: datetime | None
    client_auth_method: str  # models.oauth.CLIENT_SECRET or PRIVATE_KEY_JWT
    client_jwks: str | None
    jwks_url: str | None
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
    # load_client_state(with_owner=True): the back-office owner and the application's
    # organization, read with the state so the backend API needs no second query.
    acting: ActingOwner | None = field(default=None, repr=False, compare=False)

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()


# Core table columns, not ORM attributes: this runs on every token request and API call, and
# skipping the ORM's result processing halves its cost.
_apps = OAuthApplication.__table__
_orgs = Organization.__table__
_users = User.__table__
_customers = CustomerUser.__table__
_revocations = TokenRevocation.__table__
_membership = user_organizations.alias("membership")

_STATE_QUERY = (
    select(
        _apps.c.id,
        _apps.c.client_id,
        _apps.c.client_secret_hash,
        _apps.c.previous_client_secret_hash,
        _apps.c.previous_secret_expires_at,
        _apps.c.client_auth_method,
        _apps.c.client_jwks,
        _apps.c.jwks_url,
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
        # The global-access rule, as everywhere (services/access.py).
        has_global_access_clause(_apps.c.owner_user_id).label("has_global_access"),
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

    With `with_owner`, the state also carries the back-office owner and the organization the
    backend API shows (ClientState.acting).
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
        previous_client_secret_hash=row.previous_client_secret_hash,
        previous_secret_expires_at=row.previous_secret_expires_at,
        client_auth_method=row.client_auth_method,
        client_jwks=row.client_jwks,
        jwks_url=row.jwks_url,
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
        acting=_acting_owner(row) if with_owner and row.kind == BACKEND else None,
    )


def _acting_owner(row) -> ActingOwner:
    """The owner and organization columns of the with-owner read, as the API's typed values."""
    user = ActingUser(
        row.owner_user_id,
        row.user_email,
        row.user_name,
        bool(row.user_active),
        bool(row.user_is_admin),
        row.user_created_at,
    )
    organization = OrganizationView(
        row.organization_id,
        row.organization_name,
        bool(row.organization_active),
        bool(row.organization_global_access),
    )
    return ActingOwner(user, organization)


# -- client authentication --------------------------------------------------------------------


def authenticate_client(
    client_id: str | None, client_secret: str | None
) -> tuple[ClientState, str] | None:
    """The current application these credentials belong to and which secret matched
    (applications.CURRENT or PREVIOUS), else None.

    Unknown client, wrong or ended secret, an application on private_key_jwt, inactive
    application or owner: the same answer after the same work (one query, one keyed hash, two
    constant-time comparisons), so nothing can be enumerated.
    """
    state, failure, credential = check_client(client_id, client_secret)
    return None if failure else (state, credential)


def check_client(
    client_id: str | None, client_secret: str | None
) -> tuple[ClientState | None, str | None, str | None]:
    """The state these credentials load, why they fail (None when they succeed) and which
    secret matched (None when they fail).

    The same work whatever the reason; the reason is for the audit only (services/audit.py),
    never for the client.
    """
    state = load_client_state(client_id or "")
    credential = matching_secret(state, client_secret or "")
    if state is None:
        return None, UNKNOWN_CLIENT, None
    if credential is None or state.client_auth_method != CLIENT_SECRET:
        return state, WRONG_SECRET, None
    if not state.is_current:
        return state, INACTIVE, None
    return state, None, credential
