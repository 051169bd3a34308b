"""Administration pages: the users list and a user's page with their OAuth applications."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from . import views  # noqa: E402,F401  (registers the routes on bp)
