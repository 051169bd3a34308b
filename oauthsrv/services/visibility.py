"""What an API request may read: the owner's view of one organization, never more.

A backend token acts as its application's owner inside the application's organization. The
back-office shows the Users list to administrators only, so through the API an administrator
reads the members of that organization and anyone else reads only themselves. Applications are
the owner's own, in that organization. Secrets never leave the database.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import lazyload

from ..extensions import db
from ..models import CustomerUser, OAuthApplication, Organization, User, user_organizations

# The API never reads a user's organization list; loading it would cost a query per request.
_NO_ORGANIZATIONS = lazyload(User.organizations)
# Ids arrive from URLs; PostgreSQL integers stop here, and a larger id cannot exist.
MAX_ID = 2**31 - 1


@dataclass(frozen=True)
class ActingUser:
    """The columns of a back-office user the API shows (what user_resource reads)."""

    id: int
    email: str
    name: str
    is_active: bool
    is_admin: bool
    created_at: datetime


@dataclass(frozen=True)
class OrganizationView:
    """The columns of an organization the API shows."""

    id: int
    name: str
    is_active: bool
    is_global_access: bool


# Built once with bound parameters: SQLAlchemy then reuses the compiled statement, and plain
# rows skip the ORM's identity map. This runs on every backend API request.
_ACTING_USER = (
    select(
        User.id,
        User.email,
        User.name,
        User.is_active,
        User.is_admin,
        User.created_at,
        Organization.id.label("org_id"),
        Organization.name.label("org_name"),
        Organization.is_active.label("org_active"),
        Organization.is_global_access.label("org_global"),
    )
    .join(Organization, Organization.id == bindparam("organization_id"))  # one row: no product
    .where(User.id == bindparam("user_id"))
)


def acting_user(user_id: int, organization_id: int) -> tuple[ActingUser, OrganizationView] | None:
    """The back-office user a token acts as, with the token's organization, in one query."""
    parameters = {"user_id": user_id, "organization_id": organization_id}
    row = db.session.execute(_ACTING_USER, parameters).one_or_none()
    if row is None:
        return None
    user = ActingUser(row.id, row.email, row.name, row.is_active, row.is_admin, row.created_at)
    organization = OrganizationView(row.org_id, row.org_name, row.org_active, row.org_global)
    return user, organization


def acting_user_from_state(row) -> tuple[ActingUser, OrganizationView]:
    """The acting user and organization from the currency query's row (verify_access_token's
    `with_owner`): the application's organization, which verification found equal to the token's.
    """
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
    return user, organization


def acting_customer_user(customer_user_id: int) -> CustomerUser | None:
    """The customer user a frontend token acts as, with their organization."""
    return db.session.get(CustomerUser, customer_user_id)


def visible_users_query(actor: ActingUser, organization_id: int) -> Select:
    """Users the actor may read in the organization, by id: members for admins, else only self."""
    query = select(User).options(_NO_ORGANIZATIONS).order_by(User.id)
    if not actor.is_admin:
        return query.where(User.id == actor.id)
    members = select(user_organizations.c.user_id).where(
        user_organizations.c.organization_id == organization_id
    )
    return query.where(User.id.in_(members))


def visible_user(actor: ActingUser, organization_id: int, user_id: int) -> User | None:
    """One user the actor may read in the organization, else None (never says why)."""
    if not 0 < user_id <= MAX_ID:
        return None
    query = visible_users_query(actor, organization_id).where(User.id == user_id)
    return db.session.scalar(query)


def visible_applications_query(actor: ActingUser, organization_id: int) -> Select:
    """The actor's own applications in the organization, by id."""
    return (
        select(OAuthApplication)
        .where(
            OAuthApplication.owner_user_id == actor.id,
            OAuthApplication.organization_id == organization_id,
        )
        .order_by(OAuthApplication.id)
    )


def page_of(query: Select, number: int, size: int) -> tuple[list, int]:
    """Rows of one page (1-based) and the total count of the query."""
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = list(db.session.scalars(query.limit(size).offset((number - 1) * size)))
    return rows, total
