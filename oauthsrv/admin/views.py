"""The administration blueprint and what its pages share: who is administered, 404s, errors."""

from flask import Blueprint, abort
from flask_login import current_user

from ..auth.decorators import admin_required
from ..auth.session import current_organization
from ..models import Organization, User
from ..services import ValidationError, accounts
from ..services.access import administered_organization_ids, administers_user

bp = Blueprint("admin", __name__, url_prefix="/admin")

__all__ = ["admin_required", "administered", "bp"]


def administered() -> tuple[int, ...] | None:
    """The organizations the logged-in administrator manages (None: all; services/access.py)."""
    return administered_organization_ids(current_user, current_organization())


def administered_organization_or_404(organization_id: int) -> Organization:
    """An organization this administrator manages; 404 for any other id."""
    organization = accounts.get_organization(organization_id)
    ids = administered()
    if organization is None or (ids is not None and organization.id not in ids):
        abort(404)
    return organization


def administered_user_or_404(user_id: int) -> User:
    """A user in an organization this administrator manages; 404 for any other id."""
    user = accounts.get_user(user_id) if 0 < user_id < 2**31 else None
    if user is None or not administers_user(administered(), user):
        abort(404)
    return user


def attach_error(form, error: ValidationError) -> None:
    """Show a service's ValidationError next to its field, or above the form."""
    field = getattr(form, error.field or "", None)
    if field is not None and hasattr(field, "errors"):
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)
