"""Reading a request to the token, introspection or revocation endpoint into an OAuth2Request.

Everything a client can get wrong in the envelope is refused here, before any credential is
looked at: content type, size, repeated or non-string members, credentials in the query string
or in both the body and the Authorization header, `scope` and `scopes` that disagree.
"""

import base64
import binascii
import json
from urllib.parse import parse_qsl, unquote_plus

from authlib.oauth2.rfc6749 import InvalidRequestError, OAuth2Request
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from flask import Request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
CREDENTIAL_NAMES = ("client_id", "client_secret")
ASSERTION_NAMES = ("client_assertion_type", "client_assertion")
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"  # RFC 7523 §2.2


class PayloadTooLarge(InvalidRequestError):
    status_code = 413
    description = "The request body is too large."


class BadRequest(InvalidRequestError):
    """invalid_request with a fixed description (never echoing the client's input)."""

    def __init__(self, description: str):
        super().__init__(description=description)


class ClientRequest(OAuth2Request):
    """An OAuth2Request whose members come from the body only, with the client's credentials."""

    def __init__(self, flask_request: Request, data: dict[str, str], credentials, via_header):
        # Authlib refuses plain HTTP except on loopback; it needs scheme and host, not the query.
        uri = f"{flask_request.scheme}://{flask_request.host}{flask_request.path}"
        super().__init__(flask_request.method, uri)
        # Set after: Authlib's `headers or {}` would count the environ's headers one by one.
        self.headers = flask_request.headers
        self.payload = BasicOAuth2Payload(data)
        self.credentials: tuple[str | None, str | None] = credentials
        self.via_header: bool = via_header
        self.remote_addr: str = flask_request.remote_addr or "unknown"

    @property
    def form(self) -> dict[str, str]:
        return self.payload.data

    @property
    def args(self) -> dict:
        return {}

    @property
    def uses_assertion(self) -> bool:
        """Whether the client authenticates with an assertion (private_key_jwt)."""
        return any(name in self.payload.data for name in ASSERTION_NAMES)

    @property
    def assertion_type(self) -> str | None:
        return self.payload.data.get("client_assertion_type")

    @property
    def assertion(self) -> str | None:
        return self.payload.data.get("client_assertion")

    @property
    def attempted_client_id(self) -> str | None:
        """The client id the request claims, whether or not it authenticates (for logs and
        throttling): client_id, else an assertion's unverified `sub`."""
        if self.credentials[0] is None and self.uses_assertion:
            return unverified_subject(self.assertion)
        return self.credentials[0]


def parse(flask_request: Request, required: tuple[str, ...] = ()) -> ClientRequest:
    """Validate the envelope and return the request; raise an OAuth2Error for bad input."""
    data = read_body(flask_request)
    missing = [name for name in required if not data.get(name)]
    if missing:
        raise BadRequest(f"Missing parameter: {missing[0]}.")
    if flask_request.query_string and any(
        name in flask_request.args for name in (*CREDENTIAL_NAMES, *ASSERTION_NAMES)
    ):
        raise BadRequest("Client credentials are not accepted in the query string.")
    data = merge_scopes(data)
    if "client_secret" in data and any(name in data for name in ASSERTION_NAMES):
        raise BadRequest("A client authenticates with one method per request.")
    authorization = flask_request.headers.get("Authorization")
    if authorization is not None:
        credentials = basic_credentials(authorization)
        if not only_basic(data, credentials[0]):
            raise BadRequest("Client credentials were sent both in the body and in a header.")
    else:
        credentials = (data.get("client_id") or None, data.get("client_secret") or None)
    # Authlib's constructor raises InsecureTransportError (400) for plain HTTP off loopback.
    return ClientRequest(flask_request, data, credentials, authorization is not None)


def only_basic(data: dict[str, str], basic_client_id: str | None) -> bool:
    """Whether the body adds no second authentication to HTTP Basic. A bare `client_id` equal
    to the Basic one is the same method (RFC 6749 §2.3.1; some client libraries send it); a
    secret or an assertion in the body, or another client_id, is a second one (RFC 6749 §2.3)."""
    if any(name in data for name in ("client_secret", *ASSERTION_NAMES)):
        return False
    return "client_id" not in data or data["client_id"] == basic_client_id


def read_body(flask_request: Request) -> dict[str, str]:
    """The body's members as strings, from a form-urlencoded or a JSON body."""
    limit = flask_request.max_content_length
    if limit is not None and (flask_request.content_length or 0) > limit:
        raise PayloadTooLarge()
    try:
        if flask_request.mimetype == FORM:
            return form_members(flask_request.get_data(cache=False))
        if flask_request.mimetype == JSON:
            return json_members(flask_request.get_data(cache=False))
    except RequestEntityTooLarge:
        raise PayloadTooLarge() from None
    except HTTPException:
        raise BadRequest("The request body cannot be read.") from None
    raise BadRequest(f"The body must be {FORM} or {JSON}.")


def form_members(body: bytes) -> dict[str, str]:
    # parse_qsl on the raw body: a fraction of the cost of Werkzeug's form parser, and it sees
    # repeated names directly.
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=100)
    except (UnicodeDecodeError, ValueError):
        raise BadRequest("The body is not valid form-urlencoded data.") from None
    data = _unique_members(pairs)
    if not all(_is_encodable(value) for value in data.values()):
        raise BadRequest("A parameter holds a NUL character.")
    return data


def _unique_members(pairs):
    names = [name for name, _ in pairs]
    if len(names) != len(set(names)):
        raise BadRequest("A parameter is repeated.")
    return dict(pairs)


def json_members(body: bytes) -> dict[str, str]:
    try:
        data = json.loads(body, object_pairs_hook=_unique_members)
    except (ValueError, RecursionError):
        raise BadRequest("The body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise BadRequest("The JSON body must be an object.")
    if not all(isinstance(value, str) and _is_encodable(value) for value in data.values()):
        raise BadRequest("Every member of the JSON body must be a string.")
    return data


def _is_encodable(value: str) -> bool:
    # JSON can carry lone surrogates, which no hash or database accepts.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in value


def merge_scopes(data: dict[str, str]) -> dict[str, str]:
    """Accept Oro's `scopes` or the RFC's `scope`; both given must agree."""
    if "scopes" not in data:
        return data
    scopes = data.pop("scopes")
    if "scope" in data and set(data["scope"].split()) != set(scopes.split()):
        raise BadRequest("`scope` and `scopes` differ.")
    data.setdefault("scope", scopes)
    return data


def basic_credentials(authorization: str) -> tuple[str | None, str | None]:
    """(client_id, client_secret) from HTTP Basic (RFC 6749 §2.3.1); (None, None) if malformed."""
    scheme, _, value = authorization.strip().partition(" ")
    if scheme.lower() != "basic":
        return None, None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None, None
    client_id, colon, client_secret = decoded.partition(":")
    if not colon:
        return None, None
    return unquote_plus(client_id) or None, unquote_plus(client_secret) or None


def unverified_subject(assertion: str | None) -> str | None:
    """The `sub` of a JWT's payload, unverified: only to name the client in logs and counters."""
    try:
        payload = (assertion or "").split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, binascii.Error):
        return None
    subject = claims.get("sub") if isinstance(claims, dict) else None
    return subject if isinstance(subject, str) else None
