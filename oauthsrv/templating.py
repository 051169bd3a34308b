"""Values every template may use: the current organization, navigation, locale names."""

from flask import current_app
from flask_login import current_user

from .auth.session import current_organization

LOCALES = {"en": "English", "de": "Deutsch", "fr": "Français"}

# (label, endpoint, administrators only); items whose endpoint does not exist are skipped.
NAV_ITEMS = [
    ("My User", "profile.show", False),
    ("Users", "admin.users_list", True),
    ("Customer Users", "customers.customer_users_list", True),
    ("Notifications", "notifications.settings", True),
]


def admin_nav_items() -> list[tuple[str, str]]:
    """The top navigation the current user may follow."""
    endpoints = current_app.view_functions
    is_admin = current_user.is_authenticated and current_user.is_admin
    return [
        (label, endpoint)
        for label, endpoint, admin_only in NAV_ITEMS
        if endpoint in endpoints and (is_admin or not admin_only)
    ]


def locale_name(code: str) -> str:
    return LOCALES.get(code, code)


def init_app(app) -> None:
    app.jinja_env.globals.update(
        current_organization=current_organization,
        admin_nav_items=admin_nav_items,
        locale_name=locale_name,
    )
