"""Values every template may use: the current organization, navigation, locale names."""

from flask import current_app, request, url_for
from flask_login import current_user

from .auth.session import current_organization

LOCALES = {"en": "English", "de": "Deutsch", "fr": "Français"}

# (label, endpoint, URL values, administrators only); items whose endpoint does not exist are
# skipped.
NAV_ITEMS = [
    ("My User", "profile.show", {}, False),
    ("Users", "admin.users_list", {}, True),
    ("Organizations", "admin.organizations_list", {}, True),
    ("OAuth Applications", "applications.apps_list", {"owner_kind": "all"}, True),
    ("Customer Users", "customers.customer_users_list", {}, True),
    ("Audit", "admin.audit_list", {}, True),
    ("Notifications", "notifications.settings", {}, True),
]


def admin_nav_items() -> list[tuple[str, str, bool]]:
    """The top navigation the current user may follow: label, URL, whether it is this page."""
    endpoints = current_app.view_functions
    is_admin = current_user.is_authenticated and current_user.is_admin
    items = []
    for label, endpoint, values, admin_only in NAV_ITEMS:
        if endpoint in endpoints and (is_admin or not admin_only):
            url = url_for(endpoint, **values)
            items.append((label, url, request.path == url))
    return items


# Dates and times in the viewer's locale; stored times are UTC and say so.
TIME_LAYOUTS = {"en": "%Y-%m-%d %H:%M:%S", "de": "%d.%m.%Y %H:%M:%S", "fr": "%d/%m/%Y %H:%M:%S"}


def local_time(value, date_only: bool = False) -> str:
    """A stored UTC time in the current user's locale, e.g. "03.12.2026 09:15:02 UTC"."""
    if value is None:
        return ""
    locale = current_user.locale if current_user.is_authenticated else "en"
    layout = TIME_LAYOUTS.get(locale, TIME_LAYOUTS["en"])
    if date_only:
        return value.strftime(layout.split(" ")[0])
    return value.strftime(layout) + " UTC"


def locale_name(code: str) -> str:
    return LOCALES.get(code, code)


def init_app(app) -> None:
    app.jinja_env.globals.update(
        current_organization=current_organization,
        admin_nav_items=admin_nav_items,
        local_time=local_time,
        locale_name=locale_name,
    )
