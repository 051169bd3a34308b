"""Demo data for `make run`: created when missing, never duplicated."""

from . import accounts

ORGANIZATIONS = [("Acme Corp", True), ("Globex Inc", False)]
USERS = [
    # email, password, name, organizations, is_admin
    ("admin@example.com", "admin-demo-123", "Ada Admin", ["Acme Corp", "Globex Inc"], True),
    ("user@example.com", "user-demo-123", "Uma User", ["Globex Inc"], False),
]
CUSTOMER_USERS = [("customer@example.com", "Cody Customer", "Globex Inc")]


def seed() -> list[tuple[str, str]]:
    """Create missing demo organizations and users; return the demo logins."""
    for name, is_global in ORGANIZATIONS:
        if accounts.find_organization(name) is None:
            accounts.create_organization(name, is_global_access=is_global)
    for email, password, name, organizations, is_admin in USERS:
        if accounts.find_user(email) is None:
            accounts.create_user(email, password, name, organizations, is_admin=is_admin)
    for email, name, organization in CUSTOMER_USERS:
        if accounts.find_customer_user(email) is None:
            accounts.create_customer_user(email, name, organization)
    return [(email, password) for email, password, *_ in USERS]
