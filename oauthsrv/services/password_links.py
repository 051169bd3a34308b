"""One-time links with which a user sets their own password (a new user, or after a reset).

A link is signed (SECRET_KEY), expires after PASSWORD_LINK_MAX_AGE, and carries a fingerprint
of the password hash it was made for: once the password changes (through the link or any other
way, accounts.set_password), every earlier link stops working. Nothing is stored.
"""

import hashlib
import secrets

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from ..models import User
from . import accounts

SALT = "oauthsrv set-password link"
PASSWORD_LINK_MAX_AGE = 3 * 24 * 3600


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def _fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:32]


def unusable_password() -> str:
    """A random password nobody is told: the user sets their own through a link."""
    return secrets.token_urlsafe(32)


def make_token(user: User) -> str:
    """A token for the user's set-password link, valid until used or expired."""
    return _serializer().dumps({"user": user.id, "password": _fingerprint(user)})


def user_for_token(token: str) -> User | None:
    """The active user a link was made for, while it is unused and unexpired; else None."""
    try:
        data = _serializer().loads(token, max_age=PASSWORD_LINK_MAX_AGE)
    except BadSignature:  # also SignatureExpired
        return None
    if not isinstance(data, dict) or not isinstance(data.get("user"), int):
        return None
    user = accounts.get_user(data["user"])
    if user is None or not user.is_active or data.get("password") != _fingerprint(user):
        return None
    return user
