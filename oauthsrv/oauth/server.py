"""The authorization server: Authlib's AuthorizationServer wired to our applications and tokens.

Authlib drives the flows (grant selection, the client-credentials grant, RFC 7662 and RFC 7009
endpoints); the hooks below plug in our request parsing, uniform client authentication with
throttling (as Authlib client-auth methods), JWT minting (services/token_minting.py) and
RFC 6749 §5.2 error responses.
"""

import hashlib
import json
import logging
from datetime import UTC, datetime
from typing import NoReturn

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import (
    ClientMixin,
    InvalidClientError,
    InvalidRequestError,
    InvalidScopeError,
    OAuth2Error,
    UnauthorizedClientError,
    grants,
)
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from flask import Response, current_app, g
from flask import request as flask_request

from .. import throttle
from ..security import machine_response
from ..services import audit, client_state, token_minting, token_verification, tokens
from . import requests

log = logging.getLogger("oauthsrv.oauth")

# private_key_jwt first: it answers only for requests that carry a client assertion, and
# client_secret_post answers for every request without a header, even one with no credentials.
AUTH_METHODS = ["private_key_jwt", "client_secret_basic", "client_secret_post"]
REALM = 'Basic realm="oauthsrv"'
# Fixed texts: an error never echoes the client's input nor says which check failed.
DESCRIPTIONS = {
    "invalid_request": "The request is malformed.",
    "invalid_client": "Client authentication failed.",
    "unsupported_grant_type": "Only grant_type=client_credentials is supported.",
    "invalid_scope": "A requested scope is unknown or not allowed for this client.",
    "unauthorized_client": "The token was not issued to this client.",
    "temporarily_unavailable": "The service is temporarily unavailable.",
}


class TemporarilyUnavailable(OAuth2Error):
    """No signing key (503), or too many failed authentications from this address (429)."""

    error = "temporarily_unavailable"
    status_code = 503

    def __init__(self, description=None, status_code=None, retry_after: int | None = None):
        super().__init__(description=description, status_code=status_code)
        self.retry_after = retry_after


class Client(ClientMixin):
    """The view Authlib needs of an authenticated application."""

    def __init__(self, state: client_state.ClientState):
        self.state = state
        self.client_id = state.client_id

    def get_client_id(self) -> str:
        return self.client_id

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == grants.ClientCredentialsGrant.GRANT_TYPE

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in AUTH_METHODS


class ClientCredentialsGrant(grants.ClientCredentialsGrant):
    """RFC 6749 §4.4; scopes are resolved once, against the application's allowed scopes."""

    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS

    def validate_requested_scope(self):
        state = self.client.state
        try:
            granted = token_minting.resolve_scopes(state.scope_list, self.request.payload.scope)
        except tokens.InvalidScope:
            raise InvalidScopeError() from None
        self.granted_scope = " ".join(granted)

    def generate_token(self, user=None, scope=None, **kwargs):
        # The scope the token gets is the one resolved above, not the request's raw text.
        return super().generate_token(user=user, scope=self.granted_scope, **kwargs)


def _require_token(request) -> None:
    # Any token_type_hint is accepted and ignored: we only have access tokens (RFC 7009 §2.1).
    if not request.form.get("token"):
        raise InvalidRequestError(description="Missing parameter: token.")


class Introspection(IntrospectionEndpoint):
    """RFC 7662: a client learns about its own tokens only; anything else is inactive."""

    CLIENT_AUTH_METHODS = AUTH_METHODS

    def check_params(self, request, client):
        _require_token(request)

    def query_token(self, token_string, token_type_hint):
        try:
            return IntrospectedToken(token_verification.decode_access_token(token_string))
        except tokens.InvalidToken:
            return None

    def check_permission(self, token, client, request):
        return token.claims["client_id"] == client.client_id

    def introspect_token(self, token):
        claims = token.claims
        names = ("scope", "client_id", "sub", "aud", "iss", "exp", "iat", "nbf", "jti", "org_id")
        return {"active": True, "token_type": "Bearer", **{name: claims[name] for name in names}}


class IntrospectedToken:
    """A signature-checked token; revoked when it is no longer current."""

    def __init__(self, claims: dict):
        self.claims = claims

    def is_expired(self) -> bool:
        return False  # decode_access_token already refused expired tokens

    def is_revoked(self) -> bool:
        return not token_verification.is_current(self.claims)


class Revocation(RevocationEndpoint):
    """RFC 7009: a client revokes its own tokens; another client's token changes nothing."""

    CLIENT_AUTH_METHODS = AUTH_METHODS

    def check_params(self, request, client):
        _require_token(request)

    def query_token(self, token_string, token_type_hint):
        try:
            return token_verification.decode_access_token(token_string)
        except tokens.InvalidToken:
            return None  # invalid or expired: nothing to revoke, answer 200 (RFC 7009 §2.2)

    def authenticate_token(self, request, client):
        self.check_params(request, client)
        claims = self.query_token(request.form["token"], None)
        if claims is not None and claims["client_id"] != client.client_id:
            raise UnauthorizedClientError()
        return claims

    def revoke_token(self, token, request):
        token_verification.revoke_access_token(token, request.client.state.id)


class OAuthServer(AuthorizationServer):
    """Authlib's Flask server with our request parsing, client authentication and errors."""

    def respond(self, endpoint: str, required: tuple[str, ...] = ()) -> Response:
        """Answer one request to `endpoint` ("token", "introspection" or "revocation")."""
        g.oauth_outcome = None
        # Which credential authenticated ("current", "previous" or "private_key_jwt"), for the
        # log line and the audit; never the credential itself.
        g.oauth_credential = None
        # The request itself, not the context-local proxy: parsing reads a dozen of its attributes.
        request = flask_request._get_current_object()
        try:
            oauth_request = requests.parse(request, required)
        except OAuth2Error as error:
            response = self.handle_error_response(None, error)
            log_outcome(endpoint, None, request.remote_addr)
            return response
        if endpoint == "token":
            response = self.create_token_response(oauth_request)
        else:
            response = self.create_endpoint_response(endpoint, oauth_request)
        log_outcome(endpoint, oauth_request, request.remote_addr)
        return response

    def create_oauth2_request(self, request):
        # respond() has parsed the request already (requests.parse).
        return request

    def query_client(self, client_id):
        state = client_state.load_client_state(client_id)
        return Client(state) if state is not None and state.is_current else None

    def save_token(self, token, request):
        token_minting.touch_last_used(request.client.state)
        g.oauth_outcome = "issued"

    def handle_response(self, status_code, payload, headers):
        if status_code == 200:
            g.oauth_outcome = g.get("oauth_outcome") or "ok"
        return json_response(status_code, payload)

    def handle_error_response(self, request, error):
        g.oauth_outcome = error.error
        g.oauth_status = error.status_code
        return error_response(error)

    def send_signal(self, name, *args, **kwargs):
        """Authlib's Flask signals are not used; skip the dispatch."""


def authenticate_uniformly(request: requests.ClientRequest) -> Client:
    """Uniform client authentication, refused while this address is throttled.

    Whatever is wrong (no credentials, unknown client, wrong secret, inactive application or
    owner) costs the same work and raises the same invalid_client, counted as a failure.
    """
    client_id, client_secret = request.credentials
    limits = refuse_while_throttled(client_id, request.remote_addr)
    state, failure, credential = client_state.check_client(client_id, client_secret)
    if failure:
        g.oauth_failure = (failure, state)  # for the audit (log_outcome), never the client
        count_failure(limits)
    g.oauth_credential = credential
    return Client(state)


def refuse_while_throttled(client_id: str | None, ip: str) -> list:
    """The failure counters of this attempt; 429 while one of them is over its limit."""
    limits = failure_limits(client_id, ip)
    wait = max((throttle.retry_after(*limit) or 0 for limit in limits), default=0)
    if wait:
        raise TemporarilyUnavailable(
            "Too many failed client authentications; retry later.", 429, retry_after=wait
        )
    return limits


def count_failure(limits: list) -> NoReturn:
    """Count a failed authentication and refuse it: one 401 invalid_client for every cause."""
    for limit in limits:
        throttle.record_failure(*limit)
    raise InvalidClientError(status_code=401)


def authenticate_by_assertion(query_client, request: requests.ClientRequest) -> Client:
    """private_key_jwt (oauth/client_assertion.py), throttled and refused as secrets are."""
    limits = refuse_while_throttled(request.attempted_client_id, request.remote_addr)
    if request.assertion_type != requests.JWT_BEARER or not request.assertion:
        count_failure(limits)
    # Imported here: Authlib's rfc7523, joserfc and cryptography are only needed now.
    from . import client_assertion

    try:
        client = client_assertion.authenticate(query_client, request, assertion_audiences())
    except InvalidClientError:
        count_failure(limits)
    # RFC 7521 §4.2: a client_id sent beside the assertion must name the same client.
    if request.credentials[0] not in (None, client.client_id):
        count_failure(limits)
    g.oauth_credential = "private_key_jwt"
    return client


def assertion_audiences() -> list[str]:
    """What an assertion's `aud` may be: the issuer, the token endpoint, or the endpoint called."""
    issuer = tokens.current_issuer()
    return [issuer, issuer + "/oauth2-token", issuer + flask_request.path]


# Authlib tries each allowed method in turn (register_client_auth_method) and records the one
# that returned the client as request.auth_method. The credentials were read once, by
# requests.parse: each method answers for the requests that used its transport.
def private_key_jwt(query_client, request: requests.ClientRequest) -> Client | None:
    """A signed JWT assertion in the body (RFC 7523 §2.2)."""
    return authenticate_by_assertion(query_client, request) if request.uses_assertion else None


def client_secret_basic(query_client, request: requests.ClientRequest) -> Client | None:
    """Credentials in the Authorization header (RFC 6749 §2.3.1)."""
    return authenticate_uniformly(request) if request.via_header else None


def client_secret_post(query_client, request: requests.ClientRequest) -> Client | None:
    """Credentials in the body, or none at all (refused the same way)."""
    if request.via_header or request.uses_assertion:
        return None
    return authenticate_uniformly(request)


def generate_token(grant_type, client, user=None, scope=None, **kwargs) -> dict:
    """Authlib's token generator hook: our signed JWT, or 503 without a signing key.

    `scope`: what the grant resolved (ClientCredentialsGrant.validate_requested_scope).
    """
    try:
        return token_minting.issue_access_token(client.state, scope)
    except tokens.KeysUnavailable:
        raise TemporarilyUnavailable("No signing key is available.") from None


def failure_limits(client_id: str | None, ip: str) -> list[tuple[str, str, int, int]]:
    """Throttling counters: per (client id, IP) and per IP; never per client id alone."""
    config = current_app.config
    window = int(config["OAUTH_CLIENT_THROTTLE_WINDOW"])
    # Hashed: client ids come from the request and may be anything, of any length.
    client_key = hashlib.sha256((client_id or "").encode()).hexdigest()[:32]
    return [
        (
            "oauth-client-ip",
            f"{client_key}/{ip}",
            int(config["OAUTH_CLIENT_FAILURES_PER_CLIENT_IP"]),
            window,
        ),
        ("oauth-ip", ip, int(config["OAUTH_CLIENT_FAILURES_PER_IP"]), window),
    ]


def json_response(status: int, payload, headers: dict | None = None) -> Response:
    """A JSON response that no cache keeps."""
    body = json.dumps(payload, separators=(",", ":"))
    return machine_response(body, status, "application/json", (headers or {}).items())


def error_response(error: OAuth2Error) -> Response:
    """RFC 6749 §5.2 JSON error; invalid_client is one byte-identical 401 whatever the cause."""
    if isinstance(error, InvalidClientError):
        body = {"error": "invalid_client", "error_description": DESCRIPTIONS["invalid_client"]}
        return json_response(401, body, {"WWW-Authenticate": REALM})
    description = error.description or DESCRIPTIONS.get(error.error, "")
    body = {"error": error.error, "error_description": description}
    headers = {}
    if getattr(error, "retry_after", None):
        headers["Retry-After"] = str(error.retry_after)
    # Authlib gives unsupported_token_type a 401; RFC 7009 §2.2.1 says 400.
    status = error.status_code if error.status_code != 401 else 400
    return json_response(status, body, headers)


def log_outcome(endpoint: str, oauth_request, ip: str | None) -> None:
    """One line per request: endpoint, client id, outcome, the credential that authenticated
    (current, previous, private_key_jwt or -), IP and UTC time; never a secret."""
    client_id = oauth_request.attempted_client_id if oauth_request is not None else None
    log.info(
        "%s client_id=%r outcome=%s credential=%s ip=%s at=%s",
        endpoint,
        (client_id or "")[:64],
        g.get("oauth_outcome") or "error",
        g.get("oauth_credential") or "-",
        ip,
        datetime.now(UTC).isoformat(timespec="seconds"),
    )
    audit_outcome(endpoint, oauth_request, client_id)


def audit_outcome(endpoint: str, oauth_request, client_id: str | None) -> None:
    """The audit's event for this request, if it is one (written after the response)."""
    failure = g.get("oauth_failure")
    if g.get("oauth_outcome") == "issued":
        audit.record(audit.TOKEN_ISSUED, **audit.application_fields(oauth_request.client.state))
    elif failure is not None:
        reason, state = failure
        fields = audit.application_fields(state) if state is not None else {}
        fields.setdefault("client_id", client_id)
        audit.record(audit.AUTH_FAILED, audit.FAILURE, reason=reason, **fields)
    elif g.get("oauth_status") == 429:
        audit.record(audit.THROTTLED, audit.REFUSED, client_id=client_id, reason=endpoint)


def current_server() -> OAuthServer:
    """This app's authorization server."""
    return current_app.extensions["oauth_server"]


def config_oauth(app) -> None:
    """Build the app's authorization server: grant, endpoints and token generator."""
    server = OAuthServer(app)
    server.register_token_generator("default", generate_token)
    server.register_client_auth_method("private_key_jwt", private_key_jwt)
    server.register_client_auth_method("client_secret_basic", client_secret_basic)
    server.register_client_auth_method("client_secret_post", client_secret_post)
    server.register_grant(ClientCredentialsGrant)
    server.register_endpoint(Introspection)
    server.register_endpoint(Revocation)
    app.extensions["oauth_server"] = server
