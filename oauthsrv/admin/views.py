from flask import render_template
from flask_login import login_required
from sqlalchemy import func, select

from ..applications import render_owner_page
from ..applications.owners import require_admin, resolve_user
from ..extensions import db
from ..models import OAuthApplication, User
from . import bp


@bp.get("/users")
@login_required
def users_list():
    """Users: every back-office user, with a link to their page (administrators only)."""
    require_admin()
    counts = (
        select(OAuthApplication.owner_user_id, func.count().label("count"))
        .where(OAuthApplication.owner_user_id.is_not(None))
        .group_by(OAuthApplication.owner_user_id)
        .subquery()
    )
    rows = db.session.execute(
        select(User, func.coalesce(counts.c.count, 0))
        .outerjoin(counts, counts.c.owner_user_id == User.id)
        .order_by(func.lower(User.name), User.id)
    ).all()
    return render_template("admin/users_list.html", rows=rows)


@bp.get("/users/<int:user_id>")
@login_required
def user_show(user_id: int):
    """A user's page: general information and their OAuth applications (administrators only)."""
    return render_owner_page(resolve_user(user_id))
