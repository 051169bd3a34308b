"""Back-office login sessions that end on the server.

The session itself stays Flask's signed cookie; it carries a random key, and a row of
`login_sessions` (the key's SHA-256) says the login is still open. Logout deletes the row;
deactivating a user or changing their password deletes all of theirs (services/accounts.py).
A copy of the cookie is then worth nothing, on every host that shares the database.

The check costs no extra round trip: the user loader reads the user and the row's existence
in one query (user_of).
"""

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, exists, select

from ..extensions import db
from ..models import LoginSession, User
from ..models.base import utcnow


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _lifetime() -> timedelta:
    """How long a login lasts at most: Flask's PERMANENT_SESSION_LIFETIME (31 days)."""
    return current_app.config["PERMANENT_SESSION_LIFETIME"]


def start(user: User) -> str:
    """Open a login session for `user`; returns the key the session cookie keeps."""
    key = secrets.token_urlsafe(32)
    # Logins that outlived their lifetime go as new ones come: no table grows without end.
    db.session.execute(delete(LoginSession).where(LoginSession.created_at < utcnow() - _lifetime()))
    db.session.add(LoginSession(key_hash=_hash(key), user_id=user.id))
    db.session.commit()
    return key


def user_of(user_id: int, key: str | None) -> User | None:
    """The user of a session that is still open (same user, within its lifetime), else None."""
    if not key or not isinstance(key, str):
        return None
    is_open = exists().where(
        LoginSession.key_hash == _hash(key),
        LoginSession.user_id == User.id,
        LoginSession.created_at >= utcnow() - _lifetime(),
    )
    return db.session.scalar(select(User).where(User.id == user_id, is_open))


def end(key: str | None) -> None:
    """End one login session (logout)."""
    if key:
        db.session.execute(delete(LoginSession).where(LoginSession.key_hash == _hash(key)))
        db.session.commit()


def end_all(user: User) -> None:
    """End every login session of `user`, in the caller's transaction (the caller commits)."""
    db.session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))
