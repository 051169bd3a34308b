"""OAuth Applications: the grid, the Add/Edit dialogs and the row actions, for any owner."""

from flask import Blueprint

bp = Blueprint("applications", __name__, url_prefix="/admin")

from . import views  # noqa: E402,F401  (registers the routes on bp)
from .views import render_owner_page  # noqa: E402,F401
