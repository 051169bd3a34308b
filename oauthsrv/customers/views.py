from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from wtforms.fields.choices import SelectChoice

from ..applications.owners import resolve_customer_user
from ..applications.views import render_owner_page
from ..auth.decorators import admin_required
from ..auth.forms import ConfirmForm
from ..extensions import db
from ..htmx import render_page_or_fragment
from ..inputs import query_int
from ..models import CustomerUser
from ..services import ValidationError, accounts
from .forms import CustomerUserFilterForm, CustomerUserForm

bp = Blueprint("customers", __name__, url_prefix="/admin/customer-users")

PER_PAGE = 25


def organization_choices() -> list[SelectChoice]:
    organizations = accounts.all_organizations()
    return [SelectChoice(org.id, org.name) for org in organizations]


def get_customer_or_404(customer_id: int) -> CustomerUser:
    customer = accounts.get_customer_user(customer_id)
    if customer is None:
        abort(404)
    return customer


@bp.get("")
@admin_required
def customer_users_list():
    """Customer users, filterable by name or email, organization and status."""
    filters = CustomerUserFilterForm(request.args)
    organizations = organization_choices()
    filters.organization.choices = [SelectChoice("", "All organizations")] + [
        SelectChoice(str(choice.value), choice.label) for choice in organizations
    ]
    wanted = filters.organization.data
    organization_id = next((c.value for c in organizations if str(c.value) == wanted), None)
    query = accounts.customer_users_query(
        filters.q.data or "", organization_id, filters.status.data
    )
    page = db.paginate(query, page=query_int(request.args.get("page")) or 1, per_page=PER_PAGE)
    # As the OAuth Applications grid: htmx asks for the grid alone while the user types.
    return render_page_or_fragment(
        "customers/list.html", "customers/_grid.html", filters=filters, results=page
    )


@bp.route("/new", methods=["GET", "POST"])
@admin_required
def customer_user_new():
    """Create a storefront customer user."""
    form = CustomerUserForm()
    form.organization.choices = organization_choices()
    if form.validate_on_submit():
        organization = accounts.get_organization(form.organization.data)
        try:
            customer = accounts.create_customer_user(
                form.email.data, form.name.data, organization.name, locale=form.locale.data
            )
        except ValidationError as error:
            attach_error(form, error)
        else:
            flash(f"Customer user {customer.email} created.", "success")
            return redirect(url_for("customers.customer_user_show", customer_id=customer.id))
    status = 422 if form.errors else 200
    return render_template("customers/form.html", form=form, customer=None), status


@bp.get("/<int:customer_id>")
@admin_required
def customer_user_show(customer_id: int):
    """A customer user's details (and their OAuth applications)."""
    return render_owner_page(resolve_customer_user(customer_id))


@bp.route("/<int:customer_id>/edit", methods=["GET", "POST"])
@admin_required
def customer_user_edit(customer_id: int):
    """Edit a customer user's email, name and locale."""
    customer = get_customer_or_404(customer_id)
    form = CustomerUserForm(obj=customer)
    form.organization.choices = [SelectChoice(customer.organization_id, customer.organization.name)]
    form.organization.data = customer.organization_id  # read-only: never taken from the form
    if form.validate_on_submit():
        try:
            accounts.update_customer_user(
                customer, form.email.data, form.name.data, form.locale.data
            )
        except ValidationError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            flash("Customer user saved.", "success")
            return redirect(url_for("customers.customer_user_show", customer_id=customer.id))
    status = 422 if form.errors else 200
    return render_template("customers/form.html", form=form, customer=customer), status


@bp.post("/<int:customer_id>/deactivate")
@admin_required
def customer_user_deactivate(customer_id: int):
    """Deactivate: the customer user's tokens stop working at once."""
    return change_status(customer_id, False)


@bp.post("/<int:customer_id>/activate")
@admin_required
def customer_user_activate(customer_id: int):
    """Activate a customer user again (their old tokens stay revoked)."""
    return change_status(customer_id, True)


def change_status(customer_id: int, is_active: bool):
    customer = get_customer_or_404(customer_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    accounts.set_customer_user_active(customer, is_active)
    flash(f"Customer user {'activated' if is_active else 'deactivated'}.", "success")
    return redirect(url_for("customers.customer_user_show", customer_id=customer.id), 303)


def attach_error(form, error: ValidationError) -> None:
    """Show a service's ValidationError next to its field, or above the form."""
    field = getattr(form, error.field or "", None)
    if field is not None and hasattr(field, "errors"):
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)
