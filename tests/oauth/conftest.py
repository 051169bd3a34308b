"""Fixtures for the authorization server: applications of both kinds and a token getter."""

import pytest
from oauth_helpers import GRANT, TOKEN_PATH, credentials

from oauthsrv.services import accounts


@pytest.fixture
def owner(make_user):
    """A back-office user in Acme."""
    return make_user(email="owner@example.com", orgs=("Acme",))


@pytest.fixture
def backend(owner, make_application):
    """A backend application with every backend scope, and its secret."""
    return credentials(*make_application(owner, name="Backend integration"))


@pytest.fixture
def customer(make_org):
    """A storefront customer user of Acme."""
    make_org("Acme")
    return accounts.create_customer_user("customer@example.com", "Cody Customer", "Acme")


@pytest.fixture
def frontend(customer, make_application):
    """A frontend application owned by a customer user, and its secret."""
    return credentials(*make_application(customer, name="Storefront integration"))


@pytest.fixture
def issue(client):
    """Get a token through the endpoint (form body credentials); returns the JSON answer."""

    def get(creds, **extra):
        data = {**GRANT, **creds.body, **extra}
        response = client.post(TOKEN_PATH, data=data)
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()

    return get
