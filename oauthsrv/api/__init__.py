"""The Bearer-protected APIs: backend under /admin/api (back-office owners), frontend under /api
(storefront customer users). URL map in views.py, Bearer rules in bearer.py; see docs/api.md."""

from flask import Blueprint
from flask.sessions import SessionInterface

from ..errors import API_PREFIXES, wants_json
from ..extensions import csrf

backend_bp = Blueprint("api_backend", __name__, url_prefix="/admin/api")
frontend_bp = Blueprint("api_frontend", __name__, url_prefix="/api")

from . import views  # noqa: E402,F401  (registers the routes)


def init_app(app) -> None:
    """Register both APIs; clients send tokens, never CSRF tokens or cookies."""
    for blueprint in (backend_bp, frontend_bp):
        csrf.exempt(blueprint)
        app.register_blueprint(blueprint)
    app.session_interface = NoSessionForApis(app.session_interface)
    app.after_request(no_store)


def is_api_path(path: str) -> bool:
    """Whether a path belongs to one of the APIs (the same rule as JSON error documents)."""
    return any(path.startswith(prefix) or path == prefix.rstrip("/") for prefix in API_PREFIXES)


class NoSessionForApis(SessionInterface):
    """API requests get a null session: a back-office cookie is never read and none is set."""

    def __init__(self, inner: SessionInterface):
        self.inner = inner

    def open_session(self, app, request):
        if is_api_path(request.path):
            return self.make_null_session(app)
        return self.inner.open_session(app, request)

    def save_session(self, app, session, response) -> None:
        self.inner.save_session(app, session, response)


def no_store(response):
    """API answers hold personal data and depend on the token: never cached."""
    if wants_json():
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
        response.vary.add("Authorization")
    return response
