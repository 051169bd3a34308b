"""Login, logout, the current organization and the session user."""

from flask import Blueprint

bp = Blueprint("auth", __name__, url_prefix="/admin")

from . import views  # noqa: E402,F401  (registers the routes on bp)
