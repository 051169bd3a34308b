"""URL map of the authorization server. Views stay thin: the server and services do the work."""

from flask import Blueprint, current_app, jsonify, request

from ..services import keys, tokens
from ..services.client_keys import SIGNING_ALGORITHMS
from ..services.scopes import all_scopes
from .server import AUTH_METHODS, current_server

TOKEN_PATH = "/oauth2-token"
INTROSPECTION_PATH = "/oauth2-token/introspect"
REVOCATION_PATH = "/oauth2-token/revoke"
JWKS_PATH = "/.well-known/jwks.json"
METADATA_PATH = "/.well-known/oauth-authorization-server"
POST_PATHS = (TOKEN_PATH, INTROSPECTION_PATH, REVOCATION_PATH)
# Discovery documents may be cached briefly; PyJWKClient refetches on an unknown kid anyway.
DISCOVERY_CACHE = "public, max-age=300"
CORS_MAX_AGE = "600"

bp = Blueprint("oauth", __name__)


@bp.route(TOKEN_PATH, methods=["POST", "OPTIONS"])
def token_issue():
    """Issue an access token for the client-credentials grant (RFC 6749 §4.4)."""
    if request.method == "OPTIONS":
        return preflight()
    return current_server().respond("token", required=("grant_type",))


@bp.route(INTROSPECTION_PATH, methods=["POST", "OPTIONS"])
def token_introspect():
    """Tell a client whether one of its tokens is active (RFC 7662)."""
    if request.method == "OPTIONS":
        return preflight()
    return current_server().respond("introspection")


@bp.route(REVOCATION_PATH, methods=["POST", "OPTIONS"])
def token_revoke():
    """Revoke one of the client's tokens (RFC 7009)."""
    if request.method == "OPTIONS":
        return preflight()
    return current_server().respond("revocation")


@bp.get(JWKS_PATH)
def jwks_show():
    """The public keys that verify access tokens: the active one and retired ones still live."""
    return cacheable(jsonify(keys.jwks()))


@bp.get(METADATA_PATH)
def metadata_show():
    """Authorization server metadata (RFC 8414)."""
    issuer = tokens.current_issuer()
    response = jsonify(
        {
            "issuer": issuer,
            "token_endpoint": issuer + TOKEN_PATH,
            "jwks_uri": issuer + JWKS_PATH,
            "introspection_endpoint": issuer + INTROSPECTION_PATH,
            "revocation_endpoint": issuer + REVOCATION_PATH,
            "grant_types_supported": ["client_credentials"],
            "response_types_supported": [],
            "token_endpoint_auth_methods_supported": AUTH_METHODS,
            "token_endpoint_auth_signing_alg_values_supported": SIGNING_ALGORITHMS,
            "introspection_endpoint_auth_methods_supported": AUTH_METHODS,
            "introspection_endpoint_auth_signing_alg_values_supported": SIGNING_ALGORITHMS,
            "revocation_endpoint_auth_methods_supported": AUTH_METHODS,
            "revocation_endpoint_auth_signing_alg_values_supported": SIGNING_ALGORITHMS,
            "scopes_supported": all_scopes(),
        }
    )
    return cacheable(response)


def cacheable(response):
    """A discovery document: public and cacheable for a while, unlike every other answer here."""
    response.headers["Cache-Control"] = DISCOVERY_CACHE
    del response.headers["Pragma"]
    return response


def preflight():
    """CORS preflight: allowed origins learn what they may send; others get no CORS headers."""
    response = current_app.response_class(status=204)
    response.headers["Allow"] = "OPTIONS, POST"
    if allowed_origin():
        response.headers["Access-Control-Allow-Methods"] = "POST"
        response.headers["Access-Control-Allow-Headers"] = "Authorization, Content-Type"
        response.headers["Access-Control-Max-Age"] = CORS_MAX_AGE
    return response


def allowed_origin() -> str | None:
    """The request's Origin when it is in OAUTH_CORS_ORIGINS."""
    origin = request.headers.get("Origin")
    return origin if origin and origin in current_app.config["OAUTH_CORS_ORIGINS"] else None


@bp.after_request
def add_cors_headers(response):
    """Let allow-listed browser origins read the answer; no credentials (cookies) are allowed."""
    if current_app.config["OAUTH_CORS_ORIGINS"]:
        origin = allowed_origin()
        if origin:
            response.headers["Access-Control-Allow-Origin"] = origin
        response.vary.add("Origin")
    return response
