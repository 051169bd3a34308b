"""Constants and helpers shared by the authorization-server tests."""

import base64
from types import SimpleNamespace

TOKEN_PATH = "/oauth2-token"
INTROSPECTION_PATH = "/oauth2-token/introspect"
REVOCATION_PATH = "/oauth2-token/revoke"
JWKS_PATH = "/.well-known/jwks.json"
METADATA_PATH = "/.well-known/oauth-authorization-server"
GRANT = {"grant_type": "client_credentials"}


def basic(client_id: str, secret: str) -> dict:
    """An Authorization header with HTTP Basic client credentials."""
    raw = f"{client_id}:{secret}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


def credentials(application, secret: str) -> SimpleNamespace:
    """An application's credentials in the shapes the tests send them."""
    return SimpleNamespace(
        application=application,
        client_id=application.client_id,
        secret=secret,
        id=application.id,
        body={"client_id": application.client_id, "client_secret": secret},
        basic=basic(application.client_id, secret),
    )
