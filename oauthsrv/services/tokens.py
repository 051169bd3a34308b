"""What an access token is: the shared contract of minting and verification.

Type, claims, clock leeway, issuer and audiences, and the errors both sides raise; the rest
lives by responsibility (the contract is described in docs/tokens.md):

- services/client_state.py: an application's state in one indexed read (the hot read), and
  client authentication;
- services/token_minting.py: scopes and signing (the token endpoint);
- services/token_verification.py: signature and claim checks, currency and revocation (the
  APIs, introspection, revocation).
"""

from flask import current_app

from ..config import DEV_ISSUER
from ..models.oauth import BACKEND, FRONTEND

TOKEN_TYPE = "at+jwt"  # RFC 9068 §2.1
# Clock skew tolerated on exp, nbf and iat, in seconds.
LEEWAY_SECONDS = 30
REQUIRED_CLAIMS = (
    "iss",
    "sub",
    "aud",
    "exp",
    "iat",
    "nbf",
    "jti",
    "client_id",
    "scope",
    "org_id",
    "gen",
)
API_PATHS = {BACKEND: "/admin/api", FRONTEND: "/api"}
MAX_TOKEN_LENGTH = 8192


class InvalidToken(Exception):
    """The token is not (or no longer) valid; the message is for logs, never for the caller."""


class KeysUnavailable(RuntimeError):
    """No usable signing key: tokens can be neither issued nor trusted."""


class InvalidScope(ValueError):
    """A requested scope is unknown or not allowed for the application."""


def current_issuer() -> str:
    """OAUTH_ISSUER without a trailing slash; never the Host a request came with (a server
    does not start without it, see config.require_issuer; DEV_ISSUER for the CLI and debug)."""
    return (current_app.config.get("OAUTH_ISSUER") or DEV_ISSUER).rstrip("/")


def audience_for(kind: str, issuer: str | None = None) -> str:
    """The `aud` of tokens for applications of this kind: `<issuer>/admin/api` or `<issuer>/api`."""
    return (issuer or current_issuer()) + API_PATHS[kind]
