"""Views of the OAuth Applications section. Each takes the owner context resolved from the URL.

htmx asks for fragments (the grid, dialogs); the same URLs without htmx answer whole pages, so
the section works without JavaScript. Every change is a POST (CSRF-checked by CSRFProtect).
"""

import functools
import json
from dataclasses import dataclass, field

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
)
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..htmx import is_htmx
from ..models import OAuthApplication
from ..services import ValidationError, applications, audit
from ..services.application_grid import GridPage, GridQuery, list_applications
from ..services.keys import keys_available
from ..services.scopes import API_SCOPES
from .forms import EditApplicationForm, NewApplicationForm, RegenerateSecretForm
from .owners import OWNER_KINDS, OwnerContext, acting_user_description

KEYS_MISSING = (
    "OAuth authorization is not available as encryption keys configuration was not complete. "
    "Please contact your administrator."
)

bp = Blueprint("applications", __name__, url_prefix="/admin")
NAME_TAKEN = "An application with this name already exists in this organization."
GRID_CHANGED = "apps-changed"  # htmx event: the grid reloads itself when it hears this
NOTICE = "show-notice"  # htmx event: app.js puts its text in the page's role="status" region


def grid_changed_trigger(message: str) -> str:
    """HX-Trigger: refresh the grid and announce `message` (ASCII JSON: headers are Latin-1)."""
    return json.dumps({GRID_CHANGED: "", NOTICE: message})


@dataclass
class Section:
    """Everything the OAuth Applications section renders."""

    owner: OwnerContext
    query: GridQuery
    grid: GridPage
    organizations: list
    keys_available: bool
    # All OAuth Applications: per application, tokens of the last 24 h and the last failure.
    figures: dict = field(default_factory=dict)

    @property
    def shows_organization(self) -> bool:
        return len(self.organizations) > 1

    @property
    def shows_owner(self) -> bool:
        """Every owner's applications (All OAuth Applications): Owner and Kind columns."""
        return self.owner.owner is None

    def grid_url(self, **changes) -> str:
        """The grid's URL for the current query with `changes` (also a bookmarkable page)."""
        return self.owner.url("apps_list", **self.query.to_args(**changes))

    def sort_url(self, sort: str) -> str:
        return self.owner.url("apps_list", **self.query.sorted_by(sort))


def build_section(ctx: OwnerContext) -> Section:
    """Read the grid's filters from the URL and load the page of applications they select."""
    organizations = ctx.filter_organizations()
    query = GridQuery.from_args(request.args, {org.id for org in organizations})
    per_page = current_app.config["APPS_PER_PAGE"]
    every_owner = ctx.owner is None
    grid = list_applications(ctx.owner_conditions(), query, per_page, with_owner=every_owner)
    section = Section(ctx, query, grid, organizations, keys_available())
    if every_owner:
        section.figures = audit.application_figures([row.id for row in grid.rows])
    return section


def render_owner_page(ctx: OwnerContext):
    """The owner's whole page (My User, a user's page, ...) with the section included."""
    response = make_response(
        render_template(ctx.page_template, section=build_section(ctx), **ctx.page_context)
    )
    response.vary.add("HX-Request")
    return response


def render_dialog(template: str, ctx: OwnerContext, status: int = 200, **context):
    """A dialog: a pop-up fragment for htmx, a page of its own without JavaScript."""
    layout = "applications/_modal_layout.html" if is_htmx() else "applications/dialog_page.html"
    html = render_template(template, layout=layout, owner=ctx, keys_missing=KEYS_MISSING, **context)
    response = make_response(html, status)
    response.vary.add("HX-Request")
    return response


def changed(ctx: OwnerContext, message: str):
    """After a change: htmx empties the dialog, refreshes the grid and announces `message`;
    without JavaScript the browser goes back to the grid, which shows it as a flash."""
    if is_htmx():
        return "", 200, {"HX-Trigger": grid_changed_trigger(message), "Vary": "HX-Request"}
    flash(message, "success")
    return redirect(ctx.url("apps_list"), 303)


def show_secret(
    ctx: OwnerContext, application: OAuthApplication, secret: str, heading: str, message: str
):
    """The one response that ever carries a client secret: never cached, never in history."""
    if not is_htmx():
        flash(message, "success")  # shown on the page that carries the secret
    response = render_dialog(
        "applications/_secret_modal.html",
        ctx,
        application=application,
        secret=secret,
        heading=heading,
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["HX-Trigger"] = grid_changed_trigger(message)
    return response


def keys_missing_dialog(ctx: OwnerContext):
    """Creating or regenerating credentials is refused while tokens cannot be signed."""
    return render_dialog("applications/_keys_missing_modal.html", ctx, status=409)


def apps_list(ctx: OwnerContext):
    """The applications grid: the fragment for htmx, else the owner's page showing it."""
    if not is_htmx():
        return render_owner_page(ctx)
    response = make_response(render_template("applications/_grid.html", section=build_section(ctx)))
    response.vary.add("HX-Request")
    return response


def new_application_form(ctx: OwnerContext) -> NewApplicationForm:
    """The Add form; the Organization select exists only when there is a choice to make."""
    default = ctx.default_organization
    scopes = API_SCOPES[ctx.app_kind]
    form = NewApplicationForm(organization_id=default.id if default else None, scopes=list(scopes))
    form.scopes.choices = list(scopes.items())
    if len(ctx.choosable_organizations) > 1:
        form.organization_id.choices = [(org.id, org.name) for org in ctx.choosable_organizations]
    else:
        del form.organization_id
    return form


def chosen_organization(ctx: OwnerContext, form: NewApplicationForm):
    if "organization_id" not in form:
        return ctx.default_organization
    return next(org for org in ctx.choosable_organizations if org.id == form.organization_id.data)


def attach_error(form, error: ValidationError) -> None:
    """Show a service's validation error next to its field (or above the form)."""
    target = getattr(form, error.field or "", None)
    (target.errors if target is not None else form.form_errors).append(error.message)


def new_dialog(ctx: OwnerContext, form: NewApplicationForm, status: int):
    scopes = API_SCOPES[ctx.app_kind]
    return render_dialog("applications/_new_modal.html", ctx, status, form=form, scopes=scopes)


def app_new(ctx: OwnerContext):
    """Add Application: the dialog, and after Create the credentials, shown this once."""
    if ctx.owner is None:
        abort(404)  # All OAuth Applications: an application is added from its owner's page
    if not keys_available():
        return keys_missing_dialog(ctx)
    form = new_application_form(ctx)
    if ctx.default_organization is None:
        form.form_errors.append("There is no active organization to add an application to.")
        return new_dialog(ctx, form, 409)
    if not form.validate_on_submit():
        return new_dialog(ctx, form, 422 if request.method == "POST" else 200)
    try:
        application, secret = applications.create_application(
            ctx.owner,
            chosen_organization(ctx, form),
            form.name.data,
            created_by=acting_user_description(),
            is_active=form.is_active.data,
            scopes=form.scopes.data,
        )
    except (ValidationError, IntegrityError) as error:
        db.session.rollback()
        # IntegrityError: a concurrent Create took the name between our check and the insert.
        attach_error(form, error if isinstance(error, ValidationError) else name_taken())
        return new_dialog(ctx, form, 422)
    message = f"Application “{application.name}” created."
    return show_secret(ctx, application, secret, "Application Created", message)


def name_taken() -> ValidationError:
    return ValidationError(NAME_TAKEN, field="name")


def edit_form(application: OAuthApplication) -> EditApplicationForm:
    data = {
        "name": application.name,
        "is_active": application.is_active,
        "scopes": application.scope_list,
        "client_auth_method": application.client_auth_method,
        "public_keys": pretty_keys(application.client_jwks),
        "jwks_url": application.jwks_url or "",
    }
    form = EditApplicationForm(data=data)
    form.scopes.choices = list(API_SCOPES[application.kind].items())
    return form


def pretty_keys(jwks: str | None) -> str:
    """The registered public keys as the JWKS the dialog shows (and posts back unchanged)."""
    return json.dumps(json.loads(jwks), indent=2) if jwks else ""


def posted_client_auth(form: EditApplicationForm) -> applications.ClientAuth | None:
    """The Client authentication the dialog posted; None from a client that sent none."""
    if not form.client_auth_method.raw_data:
        return None
    return applications.ClientAuth(
        form.client_auth_method.data, form.public_keys.data, form.jwks_url.data
    )


def app_edit(ctx: OwnerContext, app_id: int):
    """Edit: name, status and allowed scopes (organization and Client ID stay as they are)."""
    application = ctx.get_application(app_id)
    form = edit_form(application)
    if form.validate_on_submit():
        try:
            applications.update_application(
                application,
                actor=acting_user_description(),
                name=form.name.data,
                is_active=form.is_active.data,
                scopes=form.scopes.data,
                client_auth=posted_client_auth(form),
            )
            return changed(ctx, f"Application “{application.name}” saved.")
        except (ValidationError, IntegrityError) as error:
            db.session.rollback()
            attach_error(form, error if isinstance(error, ValidationError) else name_taken())
    status = 422 if request.method == "POST" else 200
    return render_dialog(
        "applications/_edit_modal.html",
        ctx,
        status,
        form=form,
        application=application,
        scopes=API_SCOPES[application.kind],
        previous_valid_until=applications.previous_secret_valid_until(application),
    )


def set_active(ctx: OwnerContext, app_id: int, is_active: bool):
    application = ctx.get_application(app_id)
    applications.set_application_active(application, is_active, actor=acting_user_description())
    state = "activated" if is_active else "deactivated"
    return changed(ctx, f"Application “{application.name}” {state}.")


def app_activate(ctx: OwnerContext, app_id: int):
    """Activate an application."""
    return set_active(ctx, app_id, True)


def app_deactivate(ctx: OwnerContext, app_id: int):
    """Deactivate after a confirmation: tokens are revoked; reactivation does not revive them."""
    if request.method == "GET":
        application = ctx.get_application(app_id)
        return render_dialog("applications/_deactivate_modal.html", ctx, application=application)
    return set_active(ctx, app_id, False)


def app_regenerate_secret(ctx: OwnerContext, app_id: int):
    """Regenerate Secret: choose when the current secret stops (now, or after an overlap),
    then the new secret, shown once."""
    application = ctx.get_application(app_id)
    if not keys_available():
        return keys_missing_dialog(ctx)
    form = RegenerateSecretForm()
    if not form.validate_on_submit():
        status = 422 if request.method == "POST" else 200
        return render_dialog(
            "applications/_regenerate_modal.html", ctx, status, form=form, application=application
        )
    secret = applications.regenerate_secret(
        application, actor=acting_user_description(), keep_old=form.keep_old.data or None
    )
    until = applications.previous_secret_valid_until(application)
    if until is None:
        message = f"New secret generated for “{application.name}”; the old one no longer works."
    else:
        message = (
            f"New secret generated for “{application.name}”; the previous one works until "
            f"{until:%Y-%m-%d %H:%M} UTC."
        )
    return show_secret(ctx, application, secret, "New Client Secret", message)


def app_revoke_previous_secret(ctx: OwnerContext, app_id: int):
    """Revoke Previous Secret: confirm, then only the current secret works."""
    application = ctx.get_application(app_id)
    if request.method == "GET":
        return render_dialog(
            "applications/_revoke_previous_modal.html",
            ctx,
            application=application,
            valid_until=applications.previous_secret_valid_until(application),
        )
    applications.revoke_previous_secret(application, actor=acting_user_description())
    return changed(ctx, f"The previous secret of “{application.name}” no longer works.")


def app_delete(ctx: OwnerContext, app_id: int):
    """Delete: a confirm dialog naming the application, then the deletion."""
    application = ctx.get_application(app_id)
    if request.method == "GET":
        return render_dialog("applications/_delete_modal.html", ctx, application=application)
    name = application.name
    applications.delete_application(application, actor=acting_user_description())
    return changed(ctx, f"Application “{name}” deleted.")


def login_needed():
    """Anonymous (e.g. the session expired): to the login page (auth.return_to.login_needed)."""
    return current_app.login_manager.unauthorized()


def owner_view(view):
    """Resolve the owner from the URL (checking access) and call `view` with its context."""

    @functools.wraps(view)
    def dispatch(owner_kind: str, **values):
        if not current_user.is_authenticated:
            return login_needed()
        kind = next(kind for kind in OWNER_KINDS if kind.name == owner_kind)
        owner_values = {name: values.pop(name) for name in kind.arguments}
        return view(kind.resolve(**owner_values), **values)

    return dispatch


# The URL map, under each owner's prefix, e.g. /admin/profile/applications/3/edit and
# /admin/users/7/applications/3/edit. The owner kind travels as a rule default, so
# url_for("applications.app_edit", owner_kind="user", user_id=7, app_id=3) builds the second.
ROUTES = [
    ("", apps_list, ["GET"]),
    ("/new", app_new, ["GET", "POST"]),
    ("/<int:app_id>/edit", app_edit, ["GET", "POST"]),
    ("/<int:app_id>/activate", app_activate, ["POST"]),
    ("/<int:app_id>/deactivate", app_deactivate, ["GET", "POST"]),
    ("/<int:app_id>/regenerate-secret", app_regenerate_secret, ["GET", "POST"]),
    ("/<int:app_id>/revoke-previous-secret", app_revoke_previous_secret, ["GET", "POST"]),
    ("/<int:app_id>/delete", app_delete, ["GET", "POST"]),
]

for _rule, _view, _methods in ROUTES:
    _endpoint = owner_view(_view)
    for _kind in OWNER_KINDS:
        bp.add_url_rule(
            _kind.prefix + _rule,
            _view.__name__,
            _endpoint,
            methods=_methods,
            defaults={"owner_kind": _kind.name},
        )
