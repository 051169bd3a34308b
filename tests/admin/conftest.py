"""Fixtures of the administration tests: administrators with and without global access."""

import pytest


@pytest.fixture
def root(make_user, make_org, auth):
    """An administrator working in a global-access organization (manages every organization),
    logged in."""
    make_org("Headquarters", is_global_access=True)
    user = make_user(
        email="root@example.com", name="Root Admin", orgs=("Headquarters",), is_admin=True
    )
    auth.login("root@example.com")
    return user


@pytest.fixture
def acme_admin(make_user, auth):
    """An administrator of Acme only, logged in."""
    user = make_user(
        email="acme-admin@example.com", name="Acme Admin", orgs=("Acme",), is_admin=True
    )
    auth.login("acme-admin@example.com")
    return user
