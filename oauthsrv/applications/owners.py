"""Whose applications a request manages: an owner context resolved from the URL.

The same views and templates serve every kind of owner. Each kind is one `OwnerKind`: a URL
prefix, the arguments it carries and a resolver that checks access and builds the context
(the owner, which applications it may see, where new ones may go and which page shows them).
The rules themselves (global access, which applications are in scope) live in
services/access.py; this module maps URLs and the session to them.
A storefront customer user's applications plug in as one more entry in `OWNER_KINDS`.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from flask import abort, url_for
from flask_login import current_user

from ..auth.decorators import require_admin
from ..auth.session import current_organization
from ..models import CustomerUser, OAuthApplication, Organization, User
from ..services import accounts
from ..services.access import (
    ApplicationScope,
    administered_organization_ids,
    administers_user,
    organizations_open_to,
)


@dataclass
class OwnerContext:
    """The owner of the applications shown, and what the acting user may do with them."""

    owner: User | CustomerUser | None  # None: every owner (All OAuth Applications)
    kind_name: str
    url_values: dict
    # Organizations whose applications are listed; None: every application of the owner.
    visible_organizations: list[Organization] | None
    # Organizations a new application may be added to, the default first choice among them.
    choosable_organizations: list[Organization]
    default_organization: Organization | None
    page_template: str
    page_context: dict = field(default_factory=dict)

    @property
    def scope(self) -> ApplicationScope:
        """The applications this context may see and change (services/access.py)."""
        visible = self.visible_organizations
        ids = None if visible is None else tuple(org.id for org in visible)
        return ApplicationScope(self.owner, ids)

    @property
    def app_kind(self) -> str:
        return self.scope.kind

    def owner_conditions(self) -> list:
        """SQL conditions selecting exactly the applications this context may see and change."""
        return self.scope.conditions()

    def filter_organizations(self) -> list[Organization]:
        """Organizations offered by the grid's filter (and shown as a column when several)."""
        if self.visible_organizations is not None:
            return self.visible_organizations
        found = {org.id: org for org in self.scope.organizations()}
        found.update({org.id: org for org in self.choosable_organizations})
        return sorted(found.values(), key=lambda org: org.name)

    def get_application(self, application_id: int) -> OAuthApplication:
        """An application of this context, or 404 for any other id (nothing is revealed)."""
        application = self.scope.get(application_id)
        if application is None:
            abort(404)
        return application

    def url(self, endpoint: str, **values) -> str:
        """URL of an applications endpoint for this owner, e.g. url("app_edit", app_id=3)."""
        return url_for(f"applications.{endpoint}", **self.url_values, **values)


@dataclass(frozen=True)
class OwnerKind:
    """One kind of owner: the URL prefix under /admin, its arguments and its resolver."""

    name: str
    prefix: str
    arguments: tuple[str, ...]
    resolve: Callable[..., OwnerContext]


def acting_user_description() -> str:
    """Who is acting, for log lines and notifications: "Ada Admin <admin@example.com>"."""
    return f"{current_user.name} <{current_user.email}>"


def _default_among(choices: list[Organization], preferred: Organization | None):
    if preferred is not None and any(org.id == preferred.id for org in choices):
        return preferred
    return choices[0] if choices else None


def _union(*groups: list[Organization]) -> list[Organization]:
    merged = {org.id: org for group in groups for org in group}
    return sorted(merged.values(), key=lambda org: org.name)


def resolve_me() -> OwnerContext:
    """The logged-in user's own applications, in organizations they may work in."""
    user = current_user._get_current_object()
    current = current_organization()
    choosable = organizations_open_to(user, current)
    return OwnerContext(
        owner=user,
        kind_name="me",
        url_values={"owner_kind": "me"},
        # Working in a global-access organization also opens the applications added elsewhere.
        visible_organizations=_union(user.organizations, choosable),
        choosable_organizations=choosable,
        default_organization=_default_among(choosable, current),
        page_template="profile/show.html",
        page_context={"user": user},
    )


def resolve_user(user_id: int) -> OwnerContext:
    """Another back-office user's applications, managed by an administrator."""
    require_admin()
    user = accounts.get_user(user_id)
    administered = administered_organization_ids(current_user, current_organization())
    if user is None or not administers_user(administered, user):
        abort(404)  # unknown, or in organizations this administrator does not manage
    choosable = [org for org in user.organizations if org.is_active]
    return OwnerContext(
        owner=user,
        kind_name="user",
        url_values={"owner_kind": "user", "user_id": user.id},
        visible_organizations=None,
        choosable_organizations=choosable,
        default_organization=_default_among(choosable, current_organization()),
        page_template="admin/user_show.html",
        page_context={"user": user},
    )


def resolve_customer_user(customer_user_id: int) -> OwnerContext:
    """A storefront customer user's (frontend API) applications, managed by an administrator."""
    require_admin()
    customer = accounts.get_customer_user(customer_user_id)
    if customer is None:
        abort(404)
    organization = customer.organization
    choosable = [organization] if organization.is_active else []
    return OwnerContext(
        owner=customer,
        kind_name="customer_user",
        url_values={"owner_kind": "customer_user", "customer_user_id": customer.id},
        visible_organizations=[organization],
        choosable_organizations=choosable,
        default_organization=choosable[0] if choosable else None,
        page_template="customers/show.html",
        page_context={"customer": customer},
    )


def resolve_all() -> OwnerContext:
    """Every application an administrator manages, whoever owns it (All OAuth Applications).

    The organizations are services/access.py's administered ones: all of them while working in a
    global-access organization. Nothing is added here (an application needs an owner).
    """
    require_admin()
    administered = administered_organization_ids(current_user, current_organization())
    visible = None
    if administered is not None:
        visible = [org for org in current_user.organizations if org.id in administered]
    return OwnerContext(
        owner=None,
        kind_name="all",
        url_values={"owner_kind": "all"},
        visible_organizations=visible,
        choosable_organizations=[],
        default_organization=None,
        page_template="admin/applications_list.html",
    )


OWNER_KINDS: list[OwnerKind] = [
    OwnerKind("me", "/profile/applications", (), resolve_me),
    OwnerKind("user", "/users/<int:user_id>/applications", ("user_id",), resolve_user),
    OwnerKind("all", "/oauth-applications", (), resolve_all),
    OwnerKind(
        "customer_user",
        "/customer-users/<int:customer_user_id>/applications",
        ("customer_user_id",),
        resolve_customer_user,
    ),
]
