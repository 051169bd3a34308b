"""Access rules for views."""

import functools

from flask import abort
from flask_login import current_user, login_required


def require_admin() -> None:
    """Only administrators manage other people's accounts: 403 for everyone else."""
    if not current_user.is_admin:
        abort(403)


def admin_required(view):
    """Administrators only: anonymous users are sent to log in, others get 403."""

    @functools.wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        require_admin()
        return view(*args, **kwargs)

    return wrapper
