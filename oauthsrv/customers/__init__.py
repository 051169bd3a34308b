"""Storefront customer users, managed by administrators in the back-office."""

from flask import Blueprint

bp = Blueprint("customers", __name__, url_prefix="/admin/customer-users")

from . import views  # noqa: E402,F401  (registers the routes on bp)
