"""Fixtures for the API tests: tokens from the served endpoint (applications: tests/conftest.py)."""

import pytest
from api_helpers import fetch_with_authlib, fetch_with_oauthlib


@pytest.fixture
def token_for(live_server, monkeypatch):
    """A fresh token from the served /oauth2-token (requests-oauthlib or Authlib)."""
    # The served app speaks plain HTTP on 127.0.0.1; oauthlib insists on HTTPS otherwise.
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")

    def fetch(creds, scope=None) -> str:
        fetcher = fetch_with_oauthlib if creds.application.kind == "backend" else fetch_with_authlib
        return fetcher(live_server.url, creds.client_id, creds.secret, scope)

    return fetch
