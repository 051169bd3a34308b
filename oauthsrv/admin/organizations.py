"""Organizations: list, Create, Edit (rename, global access), Activate/Deactivate."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..auth.forms import ConfirmForm
from ..extensions import db
from ..services import ValidationError, accounts
from .forms import OrganizationForm
from .views import (
    admin_required,
    administered,
    administered_organization_or_404,
    attach_error,
    bp,
)


def may_grant_global_access() -> bool:
    """Only an administrator who manages every organization may open them all to others."""
    return administered() is None


def global_access_hint(form) -> None:
    if not may_grant_global_access():
        form.is_global_access.render_kw = {"disabled": True}


@bp.get("/organizations")
@admin_required
def organizations_list():
    """Organizations this administrator manages, with their members and applications."""
    rows = accounts.organizations_with_counts(administered())
    return render_template(
        "admin/organizations_list.html", rows=rows, may_create=True, confirm=ConfirmForm()
    )


@bp.route("/organizations/new", methods=["GET", "POST"])
@admin_required
def organization_new():
    """Create an organization (an administrator without global access becomes a member)."""
    form = OrganizationForm()
    global_access_hint(form)
    if form.validate_on_submit():
        is_global = form.is_global_access.data and may_grant_global_access()
        try:
            organization = accounts.create_organization(form.name.data, is_global_access=is_global)
        except ValidationError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            if administered() is not None:
                accounts.add_member(current_user, organization)  # or they could not see it
            flash(f"Organization “{organization.name}” created.", "success")
            return redirect(url_for("admin.organizations_list"), 303)
    status = 422 if request.method == "POST" else 200
    return render_template("admin/organization_form.html", form=form, organization=None), status


@bp.route("/organizations/<int:organization_id>/edit", methods=["GET", "POST"])
@admin_required
def organization_edit(organization_id: int):
    """Rename an organization or change its global-access flag."""
    organization = administered_organization_or_404(organization_id)
    form = OrganizationForm(obj=None if request.method == "POST" else organization)
    global_access_hint(form)
    if form.validate_on_submit():
        is_global = (
            form.is_global_access.data
            if may_grant_global_access()
            else organization.is_global_access
        )
        try:
            accounts.update_organization(organization, form.name.data, is_global)
        except ValidationError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            flash(f"Organization “{organization.name}” saved.", "success")
            return redirect(url_for("admin.organizations_list"), 303)
    status = 422 if request.method == "POST" else 200
    return render_template(
        "admin/organization_form.html", form=form, organization=organization
    ), status


@bp.route("/organizations/<int:organization_id>/deactivate", methods=["GET", "POST"])
@admin_required
def organization_deactivate(organization_id: int):
    """Deactivate after a confirmation: its applications' tokens stop, for good."""
    organization = administered_organization_or_404(organization_id)
    form = ConfirmForm()
    if request.method == "GET":
        return render_template(
            "admin/organization_deactivate.html", organization=organization, form=form
        )
    if not form.validate_on_submit():
        abort(400)
    accounts.set_organization_active(organization, False)
    flash(f"Organization “{organization.name}” deactivated.", "success")
    return redirect(url_for("admin.organizations_list"), 303)


@bp.post("/organizations/<int:organization_id>/activate")
@admin_required
def organization_activate(organization_id: int):
    """Activate again: new tokens may be issued; those issued before stay revoked."""
    organization = administered_organization_or_404(organization_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    accounts.set_organization_active(organization, True)
    flash(f"Organization “{organization.name}” activated.", "success")
    return redirect(url_for("admin.organizations_list"), 303)
