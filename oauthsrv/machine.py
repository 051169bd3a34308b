"""The machine app: token endpoints, discovery and both APIs, for clients that bring their own
credentials (a client secret or a Bearer token) and want JSON.

It installs no session (NoSessionInterface), no CSRF, no login manager, no templates and no
outbox hook; every answer is a MachineResponse (no-store, security headers) and every error,
whatever raised it, comes out of the one handler set below as JSON.
"""

import json
import logging
from collections.abc import Callable

from flask import Flask, request
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from .api.documents import document
from .extensions import DATABASE_FAILURES, database_failure_reason, rollback_quietly
from .security import MachineResponse, NoSessionInterface, machine_response

log = logging.getLogger(__name__)

# The APIs answer JSON:API error documents; the token endpoints and discovery OAuth-style ones.
API_MOUNTS = ("/api", "/admin/api")
API_PREFIXES = tuple(mount + "/" for mount in API_MOUNTS)
# RFC 6749 §5.2 codes for the statuses the token endpoints and discovery can produce; any other
# status gets its HTTP name in snake case ("not_found").
OAUTH_CODES = {
    400: "invalid_request",
    405: "invalid_request",
    413: "invalid_request",
    415: "invalid_request",
    429: "temporarily_unavailable",
    500: "server_error",
    503: "temporarily_unavailable",
}
# Fixed texts: an error never echoes the client's input.
DESCRIPTIONS = {
    404: "Nothing is here.",
    405: "This method is not allowed here.",
    413: "The request body is too large.",
    500: "The server could not answer this request.",
    503: "The service is temporarily unavailable.",
}
API_NOT_FOUND = "Resource not found."
# Seconds a client is told to wait (Retry-After) when the database is down or locked.
RETRY_AFTER_SECONDS = 5


def database_unavailable() -> HTTPException:
    """503 with Retry-After: the database is down, restarting or locked; retry shortly."""
    return ServiceUnavailable(retry_after=RETRY_AFTER_SECONDS)


# Exceptions that are a known failure rather than a bug, and the HTTP error each one answers
# with (logged as a warning, without a traceback). The one place to map an exception class to a
# status, for both apps: the back-office renders the same status as its HTML page (errors.py).
KNOWN_FAILURES: dict[type[Exception], Callable[[], HTTPException]] = {
    failure: database_unavailable for failure in DATABASE_FAILURES
}


def known_failure(error: Exception) -> HTTPException | None:
    """The HTTP error a known failure answers with, else None (a bug: 500 with a traceback)."""
    for kind, answer in KNOWN_FAILURES.items():
        if isinstance(error, kind):
            reason = database_failure_reason(error)
            log.warning("%s on %s %s: %s", kind.__name__, request.method, request.path, reason)
            return answer()
    return None


def init_app(app: Flask) -> None:
    """Install what machine clients need, and nothing else."""
    app.session_interface = NoSessionInterface()
    app.response_class = MachineResponse
    # Werkzeug would answer `/admin/api//me` with its own HTML 308 to the merged path, past the
    # error handlers and without no-store; machines get exact URLs, so such a path is a 404.
    # Set before any rule is added: rules take the map's setting when they are bound.
    app.url_map.merge_slashes = False
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected_error)


def handle_http_error(error: HTTPException):
    """Any HTTP error (unknown path, wrong method, body too large, …) as JSON, in the format of
    the mount it happened under."""
    status = error.code or 500
    headers = [(name, value) for name, value in error.get_headers() if name != "Content-Type"]
    path = request.path
    if path.startswith(API_PREFIXES) or path in API_MOUNTS:
        return api_error(status, error.name, api_detail(error, status), headers)
    return oauth_error(status, error.name, headers)


def api_detail(error: HTTPException, status: int) -> str | None:
    """Our words for an API error: a view's own text, else a fixed one (never Werkzeug's default
    "check your spelling" advice, and the same text for every miss, hidden or absent)."""
    if status == 404:
        return API_NOT_FOUND
    if error.description == type(error).description:
        return DESCRIPTIONS.get(status)
    return error.description


def handle_unexpected_error(error: Exception):
    """Roll back, log once (with the traceback unless the failure is a known one), answer JSON."""
    rollback_quietly()
    known = known_failure(error)
    if known is not None:
        return handle_http_error(known)
    log.exception("unhandled error on %s %s", request.method, request.path)
    return handle_http_error(InternalServerError())


def api_error(status: int, title: str, detail: str | None, headers=()):
    """A JSON:API error document."""
    error = {"status": str(status), "title": title}
    if detail:
        error["detail"] = detail
    response = document({"errors": [error]}, status)
    response.headers.extend(headers)
    return response


def oauth_error(status: int, name: str, headers=()):
    """`{"error": …, "error_description": …}`, as the token endpoints answer (RFC 6749 §5.2)."""
    code = OAUTH_CODES.get(status) or name.lower().replace(" ", "_")
    body = {"error": code, "error_description": DESCRIPTIONS.get(status, name + ".")}
    text = json.dumps(body, separators=(",", ":"))
    return machine_response(text, status, "application/json", headers)
