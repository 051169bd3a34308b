"""Sending an anonymous visitor to log in, and back to where they were afterwards.

Flask-Login's own handler puts the full URL in ?next=, which our same-site check rejects, and it
cannot tell a first visit from an expired session. A small cookie, set at login and removed at
logout, tells the two apart (the session cookie itself is gone or no longer valid by then).
"""

import unicodedata
from urllib.parse import urlsplit

from flask import flash, redirect, request, url_for

from ..extensions import login_manager
from ..htmx import is_htmx

SESSION_EXPIRED = "Your session has expired. Please log in again."
SIGNED_IN_COOKIE = "oauthsrv_signed_in"
SIGNED_IN_MAX_AGE = 30 * 24 * 3600


# Unicode categories refused anywhere in a target: controls (C0, DEL, C1), invisible format
# characters (zero-width, bidi overrides, BOM), line and paragraph separators, and spaces.
# Browsers drop tabs and newlines (`/\t/host` is `//host`) and trim spaces and controls.
_REFUSED_CATEGORIES = {"Cc", "Cf", "Zl", "Zp", "Zs"}


def same_site_path(target: str | None) -> str | None:
    """`target` if it is a path on this site (to redirect to after login), else None.

    The one home of the rule, for every `next` (login, switch organization, return after an
    expired session). Refuses anything a browser could read as another host: `//host`,
    backslashes (`/\\host`: a slash to browsers), schemes, and any control, invisible or space
    character (_REFUSED_CATEGORIES).
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(unicodedata.category(c) in _REFUSED_CATEGORIES for c in target):
        return None
    parts = urlsplit(target)
    return target if not (parts.scheme or parts.netloc) else None


def path_to_return_to() -> str | None:
    """The page the visitor was on: this GET's URL, or the page an htmx request came from."""
    if is_htmx():
        current = urlsplit(request.headers.get("HX-Current-URL", ""))
        if current.netloc != request.host:
            return None
        return same_site_path(current.path + (f"?{current.query}" if current.query else ""))
    if request.method != "GET":
        return None  # a form's action URL cannot be re-opened with GET
    return same_site_path(request.full_path.rstrip("?"))


@login_manager.unauthorized_handler
def login_needed():
    """To the login page (htmx: told to go there), saying so when a session had expired."""
    if SIGNED_IN_COOKIE in request.cookies:
        flash(SESSION_EXPIRED, "warning")
    login_url = url_for("auth.login", next=path_to_return_to())
    if is_htmx():
        return "", 401, {"HX-Redirect": login_url}
    return redirect(login_url)


def remember_signed_in(response):
    """After login: a later anonymous visit means the session expired, not a first visit."""
    response.set_cookie(
        SIGNED_IN_COOKIE,
        "1",
        max_age=SIGNED_IN_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure,
    )
    return response


def forget_signed_in(response):
    """After logout: the next visit to the login page is an ordinary one."""
    response.delete_cookie(
        SIGNED_IN_COOKIE, httponly=True, samesite="Lax", secure=request.is_secure
    )
    return response
