"""URL map of the APIs. Each endpoint needs one scope; views act as the token's owner."""

from flask import Blueprint, abort

from ..models.oauth import BACKEND, FRONTEND
from ..services import access
from ..services.access import ActingOwner
from .bearer import current_token, require_token
from .documents import (
    ParameterError,
    application_resource,
    customer_user_resource,
    document,
    identifier,
    organization_resource,
    page_document,
    page_parameters,
    parameter_error,
    token_meta,
    user_resource,
)
from .openapi import openapi_response

backend_bp = Blueprint("api_backend", __name__, url_prefix="/admin/api")
frontend_bp = Blueprint("api_frontend", __name__, url_prefix="/api")


@backend_bp.get("/me")
@require_token(BACKEND, "profile:read")
def me_show():
    """The acting user, the token's organization, client id and scopes."""
    user, organization = acting_user()
    data = user_resource(user)
    data["relationships"] = {"organization": {"data": identifier("organizations", organization.id)}}
    included = [organization_resource(organization)]
    return document({"data": data, "included": included, "meta": token_meta(current_token())})


@backend_bp.get("/users")
@require_token(BACKEND, "users:read")
def users_list():
    """Users of the token's organization that the owner may see, one page at a time."""
    user, organization = acting_user()
    query = access.visible_users_query(user, organization.id)
    return paginated(query, user_resource)


@backend_bp.get("/users/<int:user_id>")
@require_token(BACKEND, "users:read")
def user_show(user_id: int):
    """One user of the token's organization that the owner may see, else 404."""
    user, organization = acting_user()
    shown = access.visible_user(user, organization.id, user_id)
    if shown is None:
        abort(404)
    return document({"data": user_resource(shown)})


@backend_bp.get("/oauthapplications")
@require_token(BACKEND, "applications:read")
def applications_list():
    """The owner's applications in the token's organization, without secrets."""
    user, organization = acting_user()
    query = access.visible_applications_query(user, organization.id)
    return paginated(query, application_resource)


@backend_bp.get("/openapi.json")
def openapi_show():
    """The OpenAPI 3.1 description of both APIs and the token endpoint (public)."""
    return openapi_response()


@frontend_bp.get("/me")
@require_token(FRONTEND, "customer:read")
def customer_me_show():
    """The acting customer user, their organization, the token's client id and scopes."""
    customer = access.acting_customer_user(current_token().owner_customer_user_id)
    if customer is None:  # deleted between verification and now
        abort(404)
    included = [organization_resource(customer.organization)]
    body = {"data": customer_user_resource(customer), "included": included}
    return document({**body, "meta": token_meta(current_token())})


def acting_user() -> ActingOwner:
    """The owner the backend token acts as and the token's organization (read with the
    token's currency check: bearer.authenticate)."""
    return current_token().acting


def paginated(query, to_resource):
    """One page of `query` as a collection document (page[number], page[size])."""
    try:
        number, size = page_parameters()
    except ParameterError as error:
        return parameter_error(error)
    rows, total = access.page_of(query, number, size)
    return document(page_document([to_resource(row) for row in rows], total, number, size))
