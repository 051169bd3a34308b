"""The Bearer-protected APIs: backend under /admin/api (back-office owners), frontend under /api
(storefront customer users). URL map in views.py, Bearer rules in bearer.py; see docs/api.md."""

from flask import Blueprint

from ..errors import wants_json
from ..extensions import csrf
from ..security import MachineResponse

backend_bp = Blueprint("api_backend", __name__, url_prefix="/admin/api")
frontend_bp = Blueprint("api_frontend", __name__, url_prefix="/api")

from . import views  # noqa: E402,F401  (registers the routes)


def init_app(app) -> None:
    """Register both APIs; clients send tokens, never CSRF tokens or cookies.

    API paths get a null session (security.SessionInterface): a back-office cookie is never read.
    """
    for blueprint in (backend_bp, frontend_bp):
        csrf.exempt(blueprint)
        app.register_blueprint(blueprint)
    app.after_request(no_store)


def no_store(response):
    """API answers hold personal data and depend on the token: never cached."""
    if isinstance(response, MachineResponse):
        return response  # JSON:API documents are built with these headers (documents.py)
    if wants_json():  # the API's error pages, the OpenAPI document, automatic OPTIONS answers
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
        response.vary.add("Authorization")
    return response
