"""Users: the grid, Create, Edit, Reset Password, Activate/Deactivate, and the one-time
set-password page a new (or reset) user opens."""

from flask import (
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from ..applications.owners import resolve_user
from ..applications.views import render_owner_page
from ..auth.forms import ConfirmForm
from ..extensions import db
from ..htmx import render_page_or_fragment
from ..models import Organization
from ..notifications.events import public_base_url
from ..services import ValidationError, accounts, password_links
from ..services.access import administered_users_clause
from ..services.user_grid import UserQuery, list_users
from .forms import SET_PASSWORD, NewUserForm, ResetPasswordForm, SetPasswordForm, UserFilterForm
from .forms import UserForm as EditUserForm
from .views import admin_required, administered, administered_user_or_404, attach_error, bp


def administered_organizations() -> list[Organization]:
    """The organizations this administrator manages, by name."""
    ids = administered()
    return [org for org in accounts.all_organizations() if ids is None or org.id in ids]


@bp.get("/users")
@admin_required
def users_list():
    """Users: filter by name or email, organization, status and role; sortable, paginated."""
    organizations = administered_organizations()
    query = UserQuery.from_args(request.args, {org.id for org in organizations})
    filters = UserFilterForm(request.args)
    filters.organization.choices = [("", "All organizations")] + [
        (str(org.id), org.name) for org in organizations
    ]
    grid = list_users(
        administered_users_clause(administered()), query, current_app.config["ADMIN_PER_PAGE"]
    )
    return render_page_or_fragment(
        "admin/users_list.html", "admin/_users_grid.html", filters=filters, query=query, grid=grid
    )


def organization_choices(form, user=None) -> None:
    """Offer the administered organizations (and keep those of the user's outside them)."""
    form.organizations.choices = [(org.id, org.name) for org in administered_organizations()]


def chosen_organizations(form, user=None) -> list[Organization]:
    """The organizations checked, plus the user's memberships this administrator cannot see."""
    offered = {value for value, _ in form.organizations.choices}
    chosen = [accounts.get_organization(id_) for id_ in form.organizations.data if id_ in offered]
    hidden = [org for org in (user.organizations if user else []) if org.id not in offered]
    return [org for org in chosen if org is not None] + hidden


@bp.route("/users/new", methods=["GET", "POST"])
@admin_required
def user_new():
    """Create a user: a password set now, or a one-time link shown once."""
    form = NewUserForm()
    organization_choices(form)
    if form.validate_on_submit():
        link = form.password_choice.data != SET_PASSWORD
        password = password_links.unusable_password() if link else form.password.data
        try:
            user = accounts.create_user(
                form.email.data,
                password,
                form.name.data,
                [org.name for org in chosen_organizations(form)],
                is_admin=form.is_admin.data,
                locale=form.locale.data,
            )
        except ValidationError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            flash(f"User {user.email} created.", "success")
            if link:
                return password_link_page(user, "User Created")
            return redirect(url_for("admin.user_show", user_id=user.id), 303)
    status = 422 if form.errors or form.form_errors else 200
    return render_template("admin/user_form.html", form=form, user=None), status


@bp.get("/users/<int:user_id>")
@admin_required
def user_show(user_id: int):
    """A user's page: general information, actions and their OAuth applications."""
    return render_owner_page(resolve_user(user_id))


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@admin_required
def user_edit(user_id: int):
    """Edit name, primary email, organizations, administrator flag and locale."""
    user = administered_user_or_404(user_id)
    form = EditUserForm(obj=None if request.method == "POST" else user)
    organization_choices(form, user)
    if request.method == "GET":
        form.organizations.data = [org.id for org in user.organizations]
    if form.validate_on_submit():
        if user.id == current_user.id and not form.is_admin.data:
            form.is_admin.errors = ["You cannot take away your own administrator role."]
        else:
            try:
                accounts.update_user(
                    user,
                    email=form.email.data,
                    name=form.name.data,
                    organizations=chosen_organizations(form, user),
                    is_admin=form.is_admin.data,
                    locale=form.locale.data,
                )
            except ValidationError as error:
                db.session.rollback()
                attach_error(form, error)
            else:
                flash("User saved.", "success")
                return redirect(url_for("admin.user_show", user_id=user.id), 303)
    status = 422 if request.method == "POST" else 200
    return render_template("admin/user_form.html", form=form, user=user), status


@bp.route("/users/<int:user_id>/reset-password", methods=["GET", "POST"])
@admin_required
def user_reset_password(user_id: int):
    """Reset Password: set a new one, or make a one-time link; earlier links stop working."""
    user = administered_user_or_404(user_id)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        if form.password_choice.data == SET_PASSWORD:
            accounts.set_password(user, form.password.data)
            flash(f"New password set for {user.email}.", "success")
            return redirect(url_for("admin.user_show", user_id=user.id), 303)
        # A fresh unusable password first: the old one and every earlier link stop working.
        accounts.set_password(user, password_links.unusable_password())
        return password_link_page(user, "Password Reset")
    status = 422 if request.method == "POST" else 200
    return render_template("admin/user_reset_password.html", form=form, user=user), status


def password_link_page(user, heading: str):
    """The one page that shows a set-password link: never cached."""
    # The link leaves the back-office (a chat, an email): BASE_URL, never a Host header.
    path = url_for("admin.password_set", token=password_links.make_token(user))
    link = public_base_url() + path
    response = make_response(
        render_template("admin/user_password_link.html", user=user, link=link, heading=heading)
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/users/<int:user_id>/deactivate")
@admin_required
def user_deactivate(user_id: int):
    """Deactivate: their sessions end and their applications' tokens stop at once."""
    return change_status(user_id, False)


@bp.post("/users/<int:user_id>/activate")
@admin_required
def user_activate(user_id: int):
    """Activate a user again (tokens issued before stay revoked)."""
    return change_status(user_id, True)


def change_status(user_id: int, is_active: bool):
    user = administered_user_or_404(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if user.id == current_user.id and not is_active:
        flash("You cannot deactivate yourself.", "error")
    else:
        accounts.set_user_active(user, is_active)
        flash(f"User {user.email} {'activated' if is_active else 'deactivated'}.", "success")
    return redirect(url_for("admin.user_show", user_id=user.id), 303)


@bp.route("/password/<token>", methods=["GET", "POST"])
def password_set(token: str):
    """A one-time link: the user chooses their password (no login needed; the link is the key)."""
    user = password_links.user_for_token(token)
    if user is None:
        return render_template("admin/password_set.html", form=None, user=None), 404
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.set_password(user, form.password.data)
        except ValidationError as error:
            attach_error(form, error)
        else:
            flash("Your password is set. You can log in now.", "success")
            return redirect(url_for("auth.login"), 303)
    status = 422 if request.method == "POST" else 200
    response = make_response(
        render_template("admin/password_set.html", form=form, user=user), status
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"  # the token is in the URL
    return response
