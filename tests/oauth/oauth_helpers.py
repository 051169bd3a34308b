"""Constants and helpers shared by the authorization-server tests."""

from credentials import basic, credentials  # noqa: F401  (re-exported for the tests here)

TOKEN_PATH = "/oauth2-token"
INTROSPECTION_PATH = "/oauth2-token/introspect"
REVOCATION_PATH = "/oauth2-token/revoke"
JWKS_PATH = "/.well-known/jwks.json"
METADATA_PATH = "/.well-known/oauth-authorization-server"
GRANT = {"grant_type": "client_credentials"}
