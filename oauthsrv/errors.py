"""Error pages of the back-office: HTML, with a rollback and a logged trace on 500, and a 503
page for a database that is down or locked (the failures machine.KNOWN_FAILURES maps).

The machine app answers its errors as JSON with handlers of its own (oauthsrv.machine).
"""

import logging

from flask import current_app, render_template, request
from flask.globals import request_ctx
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from .extensions import rollback_quietly
from .machine import known_failure

log = logging.getLogger(__name__)


def handle_http_error(error: HTTPException):
    """Render an HTTP error as a page, keeping headers such as Allow."""
    if request_ctx.url_adapter is None:
        # No URL can be built for this request (a Host header IDNA cannot encode: BadHost), so
        # neither can our pages' links; Werkzeug's own bare page says it.
        return error
    headers = {name: value for name, value in error.get_headers() if name != "Content-Type"}
    if error.code == 503:
        # The database is down or locked: rendered without the context processors (Flask-Login's
        # would load the current user from that database), by a template that needs none.
        page = current_app.jinja_env.get_template("errors/503.html").render(error=error)
        return page, 503, headers
    template = f"errors/{error.code}.html" if error.code in (403, 404) else "errors/error.html"
    return render_template(template, error=error), error.code, headers


def handle_csrf_error(error: CSRFError):
    """A missing or stale CSRF token: a 400 that tells the user to reload."""
    error.description = "The form expired or was not sent from this site. Reload and try again."
    return handle_http_error(error)


def handle_unexpected_error(error: Exception):
    """Roll back, log the trace for operators (not for a known failure such as a database that
    is down: machine.KNOWN_FAILURES, a 503 page), and show the client nothing of it."""
    rollback_quietly()
    known = known_failure(error)
    if known is not None:
        return handle_http_error(known)
    log.exception("unhandled error on %s %s", request.method, request.path)
    return handle_http_error(InternalServerError())


def init_app(app) -> None:
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected_error)
