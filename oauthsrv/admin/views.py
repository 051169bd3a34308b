from flask import Blueprint, render_template
from flask_login import login_required

from ..applications.owners import resolve_user
from ..applications.views import render_owner_page
from ..auth.decorators import admin_required
from ..services.accounts import users_with_application_counts

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/users")
@admin_required
def users_list():
    """Users: every back-office user, with a link to their page (administrators only)."""
    return render_template("admin/users_list.html", rows=users_with_application_counts())


@bp.get("/users/<int:user_id>")
@login_required
def user_show(user_id: int):
    """A user's page: general information and their OAuth applications (administrators only)."""
    return render_owner_page(resolve_user(user_id))
