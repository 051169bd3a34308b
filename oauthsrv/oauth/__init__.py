"""The authorization server: token endpoint, discovery, introspection and revocation."""

from flask import Blueprint, request
from werkzeug.exceptions import MethodNotAllowed, RequestEntityTooLarge

from .. import errors
from ..extensions import csrf
from ..services.keys import report_keys_at_start

bp = Blueprint("oauth", __name__)

from . import views  # noqa: E402  (registers the routes on bp)
from .server import config_oauth  # noqa: E402


def init_app(app) -> None:
    """Register the endpoints and the authorization server; clients send no CSRF token."""
    csrf.exempt(bp)
    app.register_blueprint(bp)
    config_oauth(app)
    report_keys_at_start(app)  # missing or unusable keys: the first line logged says so
    app.register_error_handler(MethodNotAllowed, handle_routing_error)
    app.register_error_handler(RequestEntityTooLarge, handle_routing_error)


def handle_routing_error(error):
    """405 and 413 on our endpoints as OAuth JSON errors (Werkzeug raises them before the view)."""
    if request.path not in views.OAUTH_PATHS:
        return errors.handle_http_error(error)
    return views.http_error(error)
