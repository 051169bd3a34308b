from flask import redirect, render_template, url_for
from flask_login import current_user, login_required

from . import bp


@bp.get("/")
@login_required
def home():
    """The back-office starts on My User."""
    return redirect(url_for("profile.show"))


@bp.get("/profile")
@login_required
def show():
    """My User: name, primary email, organizations and locale."""
    return render_template("profile/show.html", user=current_user)
