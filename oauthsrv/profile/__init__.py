"""My User: the logged-in back-office user's own page."""

from flask import Blueprint

bp = Blueprint("profile", __name__, url_prefix="/admin")

from . import views  # noqa: E402,F401  (registers the routes on bp)
