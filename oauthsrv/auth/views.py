import logging

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from .. import throttle
from ..services import accounts, audit
from ..services.accounts import authenticate
from .forms import LoginForm, SwitchOrganizationForm
from .return_to import forget_signed_in, remember_signed_in, same_site_path
from .session import end_login, organization_at_login, start_login, switch_organization

bp = Blueprint("auth", __name__, url_prefix="/admin")
log = logging.getLogger(__name__)

INVALID_CREDENTIALS = "Invalid email or password."


def _login_limits(config):
    window = config["LOGIN_THROTTLE_WINDOW"]
    email = (request.form.get("email") or "").strip().lower()
    return [
        ("login-account", email, config["LOGIN_FAILURES_PER_ACCOUNT"], window),
        ("login-ip", request.remote_addr or "unknown", config["LOGIN_FAILURES_PER_IP"], window),
    ]


def _throttled_for(limits) -> int | None:
    waits = [throttle.retry_after(*limit) for limit in limits]
    return max((wait for wait in waits if wait), default=None)


def _log_login(email: str | None, outcome: str) -> None:
    """One line per login attempt: the email given, the outcome and the IP; never the password."""
    log.info("login email=%r outcome=%s ip=%s", (email or "")[:320], outcome, request.remote_addr)


def _safe_next(target: str | None) -> str:
    """Follow ?next= only to a path on this site (auth.return_to.same_site_path), else My User."""
    return same_site_path(target) or url_for("profile.show")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Log in with email and password; failures are throttled per account and per IP."""
    if current_user.is_authenticated:
        return redirect(url_for("profile.show"))
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template(
            "auth/login.html", form=form
        ), 400 if request.method == "POST" else 200
    limits = _login_limits(current_app.config)
    wait = _throttled_for(limits)
    if wait:
        minutes = max(1, round(wait / 60))
        form.form_errors.append(
            f"Too many failed login attempts. Try again in {minutes} minute{'s' * (minutes != 1)}."
        )
        _log_login(form.email.data, "throttled")
        audit.record(audit.THROTTLED, audit.REFUSED, actor=limits[0][1], reason="login")
        return render_template("auth/login.html", form=form), 429, {"Retry-After": str(wait)}
    user = authenticate(form.email.data, form.password.data)
    if user is None:
        for limit in limits:
            throttle.record_failure(*limit)
        _log_login(form.email.data, "failed")
        record_login_failure(limits[0][1])
        form.form_errors.append(INVALID_CREDENTIALS)
        return render_template("auth/login.html", form=form), 401
    throttle.clear(*limits[0])
    next_url = _safe_next(request.args.get("next"))
    start_login(user)
    _log_login(user.email, "success")
    organization = organization_at_login(user)
    if organization:
        switch_organization(user, organization)
    audit.record(audit.LOGIN_SUCCEEDED, organization_id=organization.id if organization else None)
    return remember_signed_in(redirect(next_url))


def record_login_failure(email: str) -> None:
    """The audit's row for a failed login: the email tried (never the password)."""
    known = accounts.find_user(email)
    organization = organization_at_login(known) if known else None
    audit.record(
        audit.LOGIN_FAILED,
        audit.FAILURE,
        actor=email,
        reason="invalid_credentials",
        organization_id=organization.id if organization else None,
    )


@bp.post("/logout")
@login_required
def logout():
    """Log out (POST only, with CSRF): the session ends on the server, so a copy of the cookie
    is worth nothing from now on."""
    log.info("logout email=%r ip=%s", current_user.email, request.remote_addr)
    end_login()
    flash("You have been logged out.", "info")
    return forget_signed_in(redirect(url_for("auth.login")))


@bp.post("/switch-organization")
@login_required
def organization_switch():
    """Make another of the user's organizations current."""
    form = SwitchOrganizationForm()
    if not form.validate_on_submit():
        abort(400)
    organization = accounts.get_organization(form.organization_id.data)
    if organization is None or not current_user.belongs_to(organization.id):
        abort(404)
    switch_organization(current_user, organization)
    return redirect(_safe_next(request.form.get("next")))
