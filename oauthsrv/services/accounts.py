"""Organizations, back-office users and customer users: the rules for creating and changing them."""

import logging

from sqlalchemy import exists, func, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..inputs import contains
from ..models import CustomerUser, OAuthApplication, Organization, User, user_organizations
from . import ValidationError, audit, sessions

log = logging.getLogger(__name__)

MIN_PASSWORD_LENGTH = 8
# Checked against when the email is unknown, so both failures take the same time. Written out
# rather than computed at import (one scrypt, ~0.1 s of every start, CLI included);
# tests/test_auth.py checks it uses the same method and cost as generate_password_hash today.
DUMMY_HASH = (
    "scrypt:32768:8:1$TbdWGIcGX6au6Dke$97b982e8d26e8fa3af08ad9e1bda6fa2d25966a51f0a21f384973a4201"
    "e6464154962085eb43e4f5b3faeb081a34f78fd2a1e3cea61c120c17b29458e6d863d9"
)


def normalize_email(email: str) -> str:
    """Validate an email's syntax and return it lower-cased; raise ValidationError otherwise."""
    # Imported here: only the commands and requests that take an email address need it.
    from email_validator import EmailNotValidError, validate_email

    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise ValidationError(f"Invalid email address: {error}", field="email") from error


def find_organization(name: str) -> Organization | None:
    """The organization with this exact name, if any."""
    return db.session.scalar(select(Organization).filter_by(name=name.strip()))


def require_organization(name: str) -> Organization:
    """The organization with this name, or a ValidationError naming it."""
    organization = find_organization(name)
    if organization is None:
        raise ValidationError(f"Unknown organization: {name}", field="organization")
    return organization


def create_organization(name: str, is_global_access: bool = False) -> Organization:
    """Create an organization with a unique, non-empty name."""
    name = name.strip()
    if not name or len(name) > 255:
        raise ValidationError("Organization name must be 1 to 255 characters.", field="name")
    if find_organization(name):
        raise ValidationError(f"Organization already exists: {name}", field="name")
    organization = Organization(name=name, is_global_access=is_global_access)
    db.session.add(organization)
    db.session.commit()
    log.info("organization created: %s (global access: %s)", name, is_global_access)
    return organization


def update_organization(organization: Organization, name: str, is_global_access: bool) -> None:
    """Rename an organization and set its global-access flag.

    Taking global access away stops, for good, the tokens its members' applications held in
    organizations they are not members of (as deactivating it does).
    """
    name = name.strip()
    if not name or len(name) > 255:
        raise ValidationError("Organization name must be 1 to 255 characters.", field="name")
    existing = find_organization(name)
    if existing is not None and existing.id != organization.id:
        raise ValidationError(f"Organization already exists: {name}", field="name")
    if organization.is_global_access and not is_global_access:
        _revoke_global_access_tokens(organization)
    organization.name, organization.is_global_access = name, is_global_access
    db.session.commit()
    log.info("organization edited: %s (global access: %s)", name, is_global_access)


def set_organization_active(organization: Organization, is_active: bool) -> None:
    """Activate or deactivate an organization.

    Deactivation stops its applications' tokens at once and for good: their generation is
    bumped, so reactivating the organization does not revive a token issued before (the token
    check reads the generation in its one query, services/client_state.py). Members' tokens
    that lived on its global access stop for good too.
    """
    if organization.is_active and not is_active:
        _revoke_tokens_of(OAuthApplication.organization_id == organization.id)
        if organization.is_global_access:
            _revoke_global_access_tokens(organization)
    organization.is_active = is_active
    db.session.commit()
    if not is_active:
        audit.record(audit.ORGANIZATION_DEACTIVATED, organization_id=organization.id)
    log.info("organization %s: %s", "activated" if is_active else "deactivated", organization.name)


def _revoke_global_access_tokens(organization: Organization) -> None:
    """Revoke tokens of members' applications in organizations they are not members of."""
    members = select(user_organizations.c.user_id).where(
        user_organizations.c.organization_id == organization.id
    )
    is_member_there = exists().where(
        user_organizations.c.user_id == OAuthApplication.owner_user_id,
        user_organizations.c.organization_id == OAuthApplication.organization_id,
    )
    _revoke_tokens_of(OAuthApplication.owner_user_id.in_(members), ~is_member_there)


def get_organization(organization_id: int) -> Organization | None:
    """The organization with this id, if any."""
    return db.session.get(Organization, organization_id)


def all_organizations() -> list[Organization]:
    """Every organization, by name."""
    return list(db.session.scalars(select(Organization).order_by(Organization.name)))


def organizations_with_counts(ids: tuple[int, ...] | None) -> list[tuple[Organization, int, int]]:
    """Organizations (these ids; None: all) by name, with their member and application counts."""
    members = (
        select(func.count())
        .where(user_organizations.c.organization_id == Organization.id)
        .scalar_subquery()
    )
    apps = (
        select(func.count())
        .where(OAuthApplication.organization_id == Organization.id)
        .scalar_subquery()
    )
    query = select(Organization, members, apps).order_by(func.lower(Organization.name))
    if ids is not None:
        query = query.where(Organization.id.in_(ids))
    return [tuple(row) for row in db.session.execute(query)]


def add_member(user: User, organization: Organization) -> None:
    """Make the user a member of the organization (nothing if they are one already)."""
    if not user.belongs_to(organization.id):
        user.organizations.append(organization)
        db.session.commit()
        log.info("user %s added to organization %s", user.email, organization.name)


def get_user(user_id: int) -> User | None:
    """The back-office user with this id, if any."""
    return db.session.get(User, user_id)


def users_with_application_counts() -> list[tuple[User, int]]:
    """Every back-office user by name, with how many applications they own (one query)."""
    counts = (
        select(OAuthApplication.owner_user_id, func.count().label("count"))
        .where(OAuthApplication.owner_user_id.is_not(None))
        .group_by(OAuthApplication.owner_user_id)
        .subquery()
    )
    query = (
        select(User, func.coalesce(counts.c.count, 0))
        .outerjoin(counts, counts.c.owner_user_id == User.id)
        .order_by(func.lower(User.name), User.id)
    )
    return [tuple(row) for row in db.session.execute(query)]


def find_user(email: str) -> User | None:
    """The back-office user with this email (case-insensitive), if any."""
    return db.session.scalar(select(User).filter(func.lower(User.email) == email.strip().lower()))


def require_user(email: str) -> User:
    """The back-office user with this email, or a ValidationError."""
    user = find_user(email)
    if user is None:
        raise ValidationError(f"Unknown user: {email}", field="email")
    return user


def check_password_rules(password: str) -> None:
    """Refuse passwords that are too short."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            f"Password must be at least {MIN_PASSWORD_LENGTH} characters.", field="password"
        )


def create_user(
    email: str,
    password: str,
    name: str,
    organization_names: list[str],
    is_admin: bool = False,
    locale: str = "en",
) -> User:
    """Create a back-office user in the named organizations, creating missing ones."""
    email = normalize_email(email)
    check_password_rules(password)
    if not name.strip():
        raise ValidationError("Name is required.", field="name")
    if not organization_names:
        raise ValidationError("A user needs at least one organization.", field="organization")
    if find_user(email):
        raise ValidationError(f"A user with email {email} already exists.", field="email")
    organizations = [_get_or_add_organization(org_name) for org_name in organization_names]
    user = User(
        email=email,
        name=name.strip(),
        password_hash=generate_password_hash(password),
        is_admin=is_admin,
        locale=locale,
        organizations=organizations,
    )
    db.session.add(user)
    db.session.commit()
    log.info("user created: %s (admin: %s)", email, is_admin)
    return user


def _get_or_add_organization(name: str) -> Organization:
    name = name.strip()
    if not name:
        raise ValidationError("Organization name must not be empty.", field="organization")
    organization = find_organization(name)
    if organization is None:
        organization = Organization(name=name)
        db.session.add(organization)
        db.session.flush()
    return organization


def update_user(
    user: User,
    *,
    email: str,
    name: str,
    organizations: list[Organization],
    is_admin: bool,
    locale: str,
) -> None:
    """Change a user's details and organizations.

    Leaving an organization revokes the user's tokens issued for it (as
    remove_user_from_organization does); leaving a global-access one also those of
    applications in organizations the user is no longer a member of.
    """
    email = normalize_email(email)
    if not name.strip():
        raise ValidationError("Name is required.", field="name")
    if not organizations:
        raise ValidationError("A user needs at least one organization.", field="organizations")
    existing = find_user(email)
    if existing is not None and existing.id != user.id:
        raise ValidationError(f"A user with email {email} already exists.", field="email")
    kept = {org.id for org in organizations}
    left = [org for org in user.organizations if org.id not in kept]
    user.email, user.name, user.is_admin, user.locale = email, name.strip(), is_admin, locale
    user.organizations = sorted(organizations, key=lambda org: org.name)
    if user.last_organization_id not in kept:
        user.last_organization_id = None
    if left:
        _revoke_tokens_of(
            OAuthApplication.owner_user_id == user.id,
            OAuthApplication.organization_id.in_([org.id for org in left]),
        )
    if any(org.is_global_access for org in left):
        _revoke_tokens_of(
            OAuthApplication.owner_user_id == user.id,
            OAuthApplication.organization_id.not_in(kept),
        )
    db.session.commit()
    log.info("user edited: %s (admin: %s)", email, is_admin)


def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, else None (same work for unknown emails)."""
    user = find_user(email or "")
    password_hash = user.password_hash if user else DUMMY_HASH
    if check_password_hash(password_hash, password or "") and user and user.is_active:
        return user
    return None


def set_user_active(user: User, is_active: bool) -> None:
    """Activate or deactivate a user; deactivation revokes the tokens of their applications and
    ends their login sessions (reactivating revives neither)."""
    user.is_active = is_active
    if not is_active:
        _revoke_tokens_of(OAuthApplication.owner_user_id == user.id)
        sessions.end_all(user)
    db.session.commit()
    if not is_active:
        first = user.organizations[0].id if user.organizations else None
        audit.record(audit.USER_DEACTIVATED, owner=user.email, organization_id=first)
    log.info("user %s: %s", "activated" if is_active else "deactivated", user.email)


def set_password(user: User, password: str) -> None:
    """Give a user a new password (the rules checked); the one home for any password change.

    Every login session of the user ends (at its next request, on every host): whoever knew the
    old password may have logged in with it.
    """
    check_password_rules(password)
    user.password_hash = generate_password_hash(password)
    sessions.end_all(user)
    db.session.commit()
    log.info("user %s: password changed", user.email)


def remove_user_from_organization(user: User, organization: Organization) -> None:
    """Remove a user from an organization and revoke their tokens issued for it."""
    if organization not in user.organizations:
        raise ValidationError(f"{user.email} is not in organization {organization.name}.")
    if len(user.organizations) == 1:
        raise ValidationError(f"{organization.name} is the only organization of {user.email}.")
    user.organizations.remove(organization)
    if user.last_organization_id == organization.id:
        user.last_organization_id = None
    _revoke_tokens_of(
        OAuthApplication.owner_user_id == user.id,
        OAuthApplication.organization_id == organization.id,
    )
    db.session.commit()
    log.info("user %s removed from organization %s", user.email, organization.name)


def _revoke_tokens_of(*conditions) -> None:
    """Bump the generation of the matching applications, which invalidates their tokens."""
    db.session.execute(
        update(OAuthApplication)
        .where(*conditions)
        .values(generation=OAuthApplication.generation + 1)
        .execution_options(synchronize_session=False)
    )


def get_customer_user(customer_user_id: int) -> CustomerUser | None:
    """The customer user with this id, if any."""
    return db.session.get(CustomerUser, customer_user_id)


def find_customer_user(email: str) -> CustomerUser | None:
    """The customer user with this email (case-insensitive), if any."""
    return db.session.scalar(
        select(CustomerUser).filter(func.lower(CustomerUser.email) == email.strip().lower())
    )


def create_customer_user(
    email: str, name: str, organization_name: str, locale: str = "en"
) -> CustomerUser:
    """Create a storefront customer user in an existing organization."""
    email = normalize_email(email)
    if not name.strip():
        raise ValidationError("Name is required.", field="name")
    organization = require_organization(organization_name)
    if find_customer_user(email):
        raise ValidationError(f"A customer user with email {email} already exists.", field="email")
    customer = CustomerUser(
        email=email, name=name.strip(), organization=organization, locale=locale
    )
    db.session.add(customer)
    db.session.commit()
    log.info("customer user created: %s in %s", email, organization.name)
    return customer


def update_customer_user(customer: CustomerUser, email: str, name: str, locale: str) -> None:
    """Change a customer user's email, name and locale (the organization stays)."""
    email = normalize_email(email)
    if not name.strip():
        raise ValidationError("Name is required.", field="name")
    existing = find_customer_user(email)
    if existing is not None and existing.id != customer.id:
        raise ValidationError(f"A customer user with email {email} already exists.", field="email")
    customer.email, customer.name, customer.locale = email, name.strip(), locale
    db.session.commit()
    log.info("customer user edited: %s", email)


def set_customer_user_active(customer: CustomerUser, is_active: bool) -> None:
    """Activate or deactivate a customer user; deactivation revokes their tokens."""
    customer.is_active = is_active
    if not is_active:
        _revoke_tokens_of(OAuthApplication.owner_customer_user_id == customer.id)
    db.session.commit()
    log.info("customer user %s: %s", "activated" if is_active else "deactivated", customer.email)


def customer_users_query(search: str = "", organization_id: int | None = None, status: str = ""):
    """Customer users matching a name/email substring, an organization and a status."""
    query = select(CustomerUser).order_by(CustomerUser.name, CustomerUser.id)
    if search:
        needle = search.strip()
        query = query.where(
            contains(CustomerUser.name, needle) | contains(CustomerUser.email, needle)
        )
    if organization_id:
        query = query.where(CustomerUser.organization_id == organization_id)
    if status in ("active", "inactive"):
        query = query.where(CustomerUser.is_active.is_(status == "active"))
    return query
