"""Bearer authentication for the APIs (RFC 6750): one decorator, the same 401 for every bad token.

Only the Authorization header carries a token. A token in the query string or a form body is
refused (RFC 6750 §2.2 and §2.3 are optional, and URLs end up in logs). The back-office session
is never looked at: the API blueprints swap it for a null session before any view runs.
"""

import functools
import logging

from flask import Request, g, request

from ..models.oauth import BACKEND
from ..services.token_verification import VerifiedToken, verify_access_token
from ..services.tokens import InvalidToken, audience_for, current_issuer
from .documents import document

log = logging.getLogger(__name__)

REALM = 'Bearer realm="oauthsrv"'
TOKEN_PARAMETER = "access_token"


class BearerError(Exception):
    """A request the API refuses before any view runs; carries the response to send."""

    def __init__(self, response):
        super().__init__(response.status)
        self.response = response


def missing_token():
    """401 without an error code: the client sent no Bearer credentials (RFC 6750 §3.1)."""
    detail = "Send an access token: Authorization: Bearer <token>."
    return _refusal(401, "Unauthorized", detail, None)


def invalid_token():
    """The one 401 every invalid, expired, forged or revoked token gets, whatever the reason."""
    return _refusal(401, "Unauthorized", "The access token is invalid.", "invalid_token")


def insufficient_scope(scope: str):
    """403 naming the scope the endpoint needs."""
    detail = f"The access token does not grant the {scope} scope."
    return _refusal(403, "Forbidden", detail, "insufficient_scope", f' scope="{scope}"')


def token_elsewhere():
    """400 for a token sent in the query string or form body (RFC 6750 §3.1 invalid_request)."""
    detail = "Send the access token in the Authorization header only."
    return _refusal(400, "Bad Request", detail, "invalid_request")


def _refusal(status: int, title: str, detail: str, code: str | None, extra: str = ""):
    """A JSON:API error whose `code` repeats the RFC 6750 error of the WWW-Authenticate header."""
    error = {"status": str(status), "title": title, "detail": detail}
    challenge = REALM
    if code:
        error["code"] = code
        challenge += f', error="{code}"' + ("," + extra if extra else "")
    response = document({"errors": [error]}, status)
    response.headers["WWW-Authenticate"] = challenge
    return response


def bearer_token(current: Request) -> str | None:
    """The token of an `Authorization: Bearer` header (scheme case-insensitive), else None."""
    scheme, _, token = current.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip()


def sent_elsewhere(current: Request) -> bool:
    """Whether the request carries an access_token parameter outside the header."""
    if current.query_string and TOKEN_PARAMETER in current.args:
        return True
    return current.mimetype == "application/x-www-form-urlencoded" and (
        TOKEN_PARAMETER in current.form
    )


def authenticate(kind: str) -> VerifiedToken:
    """The verified token of this request for the API of `kind`; raise BearerError otherwise."""
    current = request._get_current_object()  # the request itself: read several times below
    if sent_elsewhere(current):
        raise BearerError(token_elsewhere())
    token = bearer_token(current)
    if token is None:
        raise BearerError(missing_token())
    try:
        # Backend views act as the owner: read the owner with the currency check, one query.
        issuer = current_issuer()
        audience = audience_for(kind, issuer)
        return verify_access_token(token, audience, with_owner=kind == BACKEND, issuer=issuer)
    except InvalidToken as error:
        # The reason stays in the log; the caller learns nothing about it.
        log.info("API %s %s: token refused (%s)", request.method, request.path, error)
        raise BearerError(invalid_token()) from None


def require_token(kind: str, scope: str):
    """Protect a view: a current token of the API of `kind` that grants `scope`, in g.token."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            try:
                token = authenticate(kind)
            except BearerError as refused:
                return refused.response
            if not token.has_scope(scope):
                return insufficient_scope(scope)
            g.token = token
            return view(*args, **kwargs)

        return wrapper

    return decorator


def current_token() -> VerifiedToken:
    """The token require_token verified for this request."""
    return g.token
