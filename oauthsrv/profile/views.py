from flask import Blueprint, redirect, url_for
from flask_login import login_required

from ..applications.owners import resolve_me
from ..applications.views import render_owner_page

bp = Blueprint("profile", __name__, url_prefix="/admin")


@bp.get("/")
@login_required
def home():
    """The back-office starts on My User."""
    return redirect(url_for("profile.show"))


@bp.get("/profile")
@login_required
def show():
    """My User: name, primary email, organizations, locale and the OAuth Applications section."""
    return render_owner_page(resolve_me())
