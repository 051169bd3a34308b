"""Access rules for views."""

import functools

from flask import abort
from flask_login import current_user, login_required


def admin_required(view):
    """Administrators only: anonymous users are sent to log in, others get 403."""

    @functools.wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapper
