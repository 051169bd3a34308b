"""Error pages: HTML for the back-office, JSON for API clients, chosen in one place."""

import logging

from flask import jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from .extensions import db

log = logging.getLogger(__name__)

API_PREFIXES = ("/api/", "/admin/api/")
API_ROOTS = frozenset(prefix.rstrip("/") for prefix in API_PREFIXES)
JSON_API = "application/vnd.api+json"


def wants_json() -> bool:
    """API paths answer JSON:API error documents; everything else HTML pages."""
    path = request.path
    return path.startswith(API_PREFIXES) or path in API_ROOTS


def json_api_error(status: int, title: str, detail: str | None = None, headers=None):
    """A JSON:API error document."""
    error = {"status": str(status), "title": title}
    if detail:
        error["detail"] = detail
    response = jsonify({"errors": [error]})
    response.status_code = status
    response.content_type = JSON_API
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def handle_http_error(error: HTTPException):
    """Render an HTTP error for the kind of client that asked, keeping headers such as Allow."""
    headers = {name: value for name, value in error.get_headers() if name != "Content-Type"}
    if wants_json():
        return json_api_error(error.code, error.name, error.description, headers)
    template = f"errors/{error.code}.html" if error.code in (403, 404) else "errors/error.html"
    return render_template(template, error=error), error.code, headers


def handle_csrf_error(error: CSRFError):
    """A missing or stale CSRF token: a 400 that tells the user to reload."""
    error.description = "The form expired or was not sent from this site. Reload and try again."
    return handle_http_error(error)


def handle_unexpected_error(error: Exception):
    """Roll back, log the trace for operators, and show the client nothing of it."""
    db.session.rollback()
    log.exception("unhandled error on %s %s", request.method, request.path)
    return handle_http_error(InternalServerError())


def init_app(app) -> None:
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected_error)
