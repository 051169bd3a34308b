from flask import render_template
from flask_login import login_required
from sqlalchemy import func, select

from ..applications import render_owner_page
from ..applications.owners import resolve_user
from ..auth.decorators import admin_required
from ..extensions import db
from ..models import OAuthApplication, User
from . import bp


def users_with_application_counts() -> list[tuple[User, int]]:
    """Every back-office user by name, with how many applications they own (one query)."""
    counts = (
        select(OAuthApplication.owner_user_id, func.count().label("count"))
        .where(OAuthApplication.owner_user_id.is_not(None))
        .group_by(OAuthApplication.owner_user_id)
        .subquery()
    )
    query = (
        select(User, func.coalesce(counts.c.count, 0))
        .outerjoin(counts, counts.c.owner_user_id == User.id)
        .order_by(func.lower(User.name), User.id)
    )
    return [tuple(row) for row in db.session.execute(query)]


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
