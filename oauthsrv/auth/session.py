"""The session user (a login still open on the server) and their current organization."""

from flask import g, session
from flask_login import current_user, login_user, logout_user

from ..extensions import db, login_manager
from ..models import Organization, User
from ..services import sessions

ORG_KEY = "organization_id"
# The key of the server-side login session (services/sessions.py) in the signed cookie.
LOGIN_KEY = "login"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Reload the session user while their login is open on the server (logout, deactivation
    and a password change end it); a deactivated user is logged out by Flask-Login."""
    if not user_id.isdigit():
        return None
    return sessions.user_of(int(user_id), session.get(LOGIN_KEY))


def start_login(user: User) -> None:
    """Log `user` in on a fresh session, recorded on the server."""
    # Nothing from before (e.g. a planted CSRF token) carries over.
    session.clear()
    login_user(user)
    session[LOGIN_KEY] = sessions.start(user)


def end_login() -> None:
    """End this login on the server and forget the session."""
    sessions.end(session.get(LOGIN_KEY))
    logout_user()
    session.clear()


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
