"""Fixtures of the OAuth Applications tests (oauthsrv/applications/)."""

import pytest


@pytest.fixture
def ann(make_user, auth):
    """A single-organization user, logged in."""
    user = make_user(email="ann@example.com", name="Ann Example", orgs=("Acme",))
    auth.login("ann@example.com")
    return user
