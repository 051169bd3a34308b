"""Helpers for the API tests: tokens from the served token endpoint, calls with real clients."""

import requests
from authlib.integrations.requests_client import OAuth2Session
from credentials import credentials  # noqa: F401  (re-exported for the tests here)
from oauthlib.oauth2 import BackendApplicationClient
from requests_oauthlib import OAuth2Session as OAuthlibSession

TOKEN_PATH = "/oauth2-token"
REVOCATION_PATH = "/oauth2-token/revoke"
JSON_API = "application/vnd.api+json"
BACKEND_SCOPES = ["profile:read", "users:read", "applications:read"]


def fetch_with_oauthlib(base_url: str, client_id: str, secret: str, scope=None) -> str:
    """A token through requests-oauthlib's BackendApplicationClient (credentials as Basic)."""
    session = OAuthlibSession(client=BackendApplicationClient(client_id=client_id, scope=scope))
    with session:
        token = session.fetch_token(
            base_url + TOKEN_PATH, client_id=client_id, client_secret=secret
        )
    return token["access_token"]


def fetch_with_authlib(base_url: str, client_id: str, secret: str, scope=None) -> str:
    """A token through Authlib's OAuth2Session (credentials in the body)."""
    with OAuth2Session(
        client_id, secret, scope=scope, token_endpoint_auth_method="client_secret_post"
    ) as session:
        token = session.fetch_token(base_url + TOKEN_PATH, grant_type="client_credentials")
    return token["access_token"]


def revoke_with_authlib(base_url: str, client_id: str, secret: str, token: str) -> int:
    """RFC 7009 revocation of one token by its own client; returns the status code."""
    with OAuth2Session(client_id, secret) as session:
        response = session.revoke_token(base_url + REVOCATION_PATH, token=token)
    return response.status_code


def call(base_url: str, path: str, token: str | None = None, **kwargs) -> requests.Response:
    """GET an API path with a Bearer token (or none)."""
    headers = kwargs.pop("headers", {})
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return requests.get(base_url + path, headers=headers, timeout=10, **kwargs)
