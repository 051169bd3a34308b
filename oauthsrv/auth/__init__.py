"""Login, logout, the current organization and the session user."""

from flask import Blueprint

bp = Blueprint("auth", __name__, url_prefix="/admin")

from . import return_to, views  # noqa: E402,F401  (the routes on bp, the login redirect)
