"""Fixtures for the API tests: a backend and a frontend application, and token getters."""

import pytest
from api_helpers import credentials, fetch_with_authlib, fetch_with_oauthlib

from oauthsrv.services import accounts


@pytest.fixture
def owner(make_user):
    """A back-office user (not an administrator) in Acme."""
    return make_user(email="owner@example.com", orgs=("Acme",), name="Olivia Owner")


@pytest.fixture
def customer(make_org):
    """A storefront customer user of Acme."""
    make_org("Acme")
    return accounts.create_customer_user("customer@example.com", "Cody Customer", "Acme")


@pytest.fixture
def backend(owner, make_application):
    """A backend application with every backend scope, and its secret."""
    return credentials(*make_application(owner, name="Backend integration"))


@pytest.fixture
def frontend(customer, make_application):
    """A frontend application owned by the customer user, and its secret."""
    return credentials(*make_application(customer, name="Storefront integration"))


@pytest.fixture
def token_for(live_server, monkeypatch):
    """A fresh token from the served /oauth2-token (requests-oauthlib or Authlib)."""
    # The served app speaks plain HTTP on 127.0.0.1; oauthlib insists on HTTPS otherwise.
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")

    def fetch(creds, scope=None) -> str:
        fetcher = fetch_with_oauthlib if creds.application.kind == "backend" else fetch_with_authlib
        return fetcher(live_server.url, creds.client_id, creds.secret, scope)

    return fetch
