"""The logged-in user's current organization, kept in the session."""

from flask import g, session
from flask_login import current_user

from ..extensions import db, login_manager
from ..models import Organization, User
from ..services import accounts

ORG_KEY = "organization_id"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Reload the session user; a deactivated user is logged out by Flask-Login."""
    return accounts.get_user(int(user_id)) if user_id.isdigit() else None


def organization_at_login(user: User) -> Organization | None:
    """The organization the user last worked in, else the first by name."""
    for organization in user.organizations:
        if organization.id == user.last_organization_id:
            return organization
    return user.organizations[0] if user.organizations else None


def switch_organization(user: User, organization: Organization) -> None:
    """Make `organization` current for this session and remember it for the next login."""
    session[ORG_KEY] = organization.id
    user.last_organization_id = organization.id
    db.session.commit()


def current_organization() -> Organization | None:
    """The session's organization, if the user still belongs to it."""
    if "current_organization" not in g:
        wanted = session.get(ORG_KEY)
        g.current_organization = (
            next(
                (org for org in current_user.organizations if org.id == wanted),
                None,
            )
            if current_user.is_authenticated
            else None
        )
    return g.current_organization
