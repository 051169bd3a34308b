"""Who may see and manage which application and user: the one home of these rules.

- Global access: a member of an active global-access organization may work with every active
  organization (as in Oro). The back-office (what a user may add applications to), the CLI and
  the token currency check (services/client_state.py, in SQL) all use the rule written here.
- The back-office: an `ApplicationScope` is the set of applications one owner context may list
  and change (applications/owners.py resolves the context from the URL and checks who is asking).
- The APIs: a backend token acts as its application's owner inside the application's
  organization. The back-office shows the Users list to administrators only, so through the API
  an administrator reads the members of that organization and anyone else reads only themselves.
  Applications are the owner's own, in that organization. Secrets never leave the database.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import lazyload

from ..extensions import db
from ..models import CustomerUser, OAuthApplication, Organization, User, user_organizations
from ..models.oauth import BACKEND, FRONTEND

# -- global access ----------------------------------------------------------------------------


def grants_global_access(organization: Organization) -> bool:
    """Whether working in `organization` opens every active organization (global and active)."""
    return bool(organization.is_global_access and organization.is_active)


def global_access_organization(user: User) -> Organization | None:
    """The first of the user's organizations that grants global access, if any."""
    return next((org for org in user.organizations if grants_global_access(org)), None)


def has_global_access_clause(user_id_column):
    """The same rule in SQL: the user is a member of an active global-access organization."""
    membership = user_organizations.alias("global_membership")
    organizations = Organization.__table__.alias("global_org")
    return exists().where(
        membership.c.user_id == user_id_column,
        membership.c.organization_id == organizations.c.id,
        organizations.c.is_global_access.is_(True),
        organizations.c.is_active.is_(True),
    )


def organizations_open_to(user: User, working_in: Organization | None) -> list[Organization]:
    """Organizations the user may add an application to while working in `working_in`.

    Working in a global-access organization (of which the user is a member) opens every active
    organization; otherwise the user's own active organizations.
    """
    if (
        working_in is not None
        and grants_global_access(working_in)
        and user.belongs_to(working_in.id)
    ):
        query = select(Organization).filter_by(is_active=True).order_by(Organization.name)
        return list(db.session.scalars(query))
    return [org for org in user.organizations if org.is_active]


def organizations_open_to_anywhere(user: User) -> list[Organization]:
    """Organizations the user may add an application to outside a session (the CLI)."""
    return organizations_open_to(user, global_access_organization(user))


# -- the back-office: what an administrator administers ---------------------------------------


def administered_organization_ids(
    user: User, working_in: Organization | None
) -> tuple[int, ...] | None:
    """The organizations whose users, applications and audit an administrator manages.

    Working in a global-access organization they belong to: every organization (None), active
    or not. Otherwise their own organizations, active or not (so they can reactivate one).
    The administration pages (oauthsrv/admin/) show nothing else and answer 404 for the rest.
    """
    if (
        working_in is not None
        and grants_global_access(working_in)
        and user.belongs_to(working_in.id)
    ):
        return None
    return tuple(org.id for org in user.organizations)


def administers_user(organization_ids: tuple[int, ...] | None, user: User) -> bool:
    """Whether an administrator managing these organizations (None: all) manages the user."""
    return organization_ids is None or any(org.id in organization_ids for org in user.organizations)


def administered_users_clause(organization_ids: tuple[int, ...] | None):
    """SQL: the user is a member of one of these organizations (None: any user)."""
    if organization_ids is None:
        return User.id.is_not(None)
    return User.id.in_(
        select(user_organizations.c.user_id).where(
            user_organizations.c.organization_id.in_(organization_ids)
        )
    )


# -- the back-office: an owner's applications -------------------------------------------------


@dataclass(frozen=True)
class ApplicationScope:
    """The applications one owner context may list and change.

    `owner`: None for an administrator's All OAuth Applications (every owner, both kinds).
    `organization_ids`: the organizations whose applications are in scope; None: every
    application of the owner (of everyone, without an owner).
    """

    owner: User | CustomerUser | None
    organization_ids: tuple[int, ...] | None

    @property
    def kind(self) -> str:
        return FRONTEND if isinstance(self.owner, CustomerUser) else BACKEND

    def conditions(self) -> list:
        """SQL conditions selecting exactly the applications in scope."""
        conditions = []
        if self.owner is not None:
            column = (
                OAuthApplication.owner_customer_user_id
                if self.kind == FRONTEND
                else OAuthApplication.owner_user_id
            )
            conditions.append(column == self.owner.id)
        if self.organization_ids is not None:
            conditions.append(OAuthApplication.organization_id.in_(self.organization_ids))
        return conditions

    def organizations(self) -> list[Organization]:
        """The organizations of the applications in scope, by name."""
        ids = select(OAuthApplication.organization_id).where(*self.conditions()).distinct()
        query = select(Organization).where(Organization.id.in_(ids)).order_by(Organization.name)
        return list(db.session.scalars(query))

    def get(self, application_id: int) -> OAuthApplication | None:
        """The application with this id if it is in scope, else None (whatever the reason)."""
        return db.session.scalar(
            select(OAuthApplication).where(
                OAuthApplication.id == application_id, *self.conditions()
            )
        )


# -- the APIs: what a token's owner may read --------------------------------------------------

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


class ActingOwner(NamedTuple):
    """The back-office user a backend token acts as, and the token's organization.

    Read with the token's currency check (services/client_state.py), one query per request.
    """

    user: ActingUser
    organization: OrganizationView


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
