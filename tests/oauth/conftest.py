"""Fixtures for the authorization-server tests: a token getter (applications: tests/conftest.py)."""

import pytest
from oauth_helpers import GRANT, TOKEN_PATH


@pytest.fixture
def issue(client):
    """Get a token through the endpoint (form body credentials); returns the JSON answer."""

    def get(creds, **extra):
        data = {**GRANT, **creds.body, **extra}
        response = client.post(TOKEN_PATH, data=data)
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()

    return get
