"""JSON:API documents (https://jsonapi.org/format/): resources, pages and errors.

Attribute names are camelCase and resource types plural lower-case, as Oro's API spells them.
"""

import functools
import json
from datetime import datetime

from flask import current_app, request, url_for

from ..models import CustomerUser, OAuthApplication, Organization, User
from ..security import machine_response

JSON_API = "application/vnd.api+json"
# A page past this cannot hold anything useful and would only make the database count.
MAX_PAGE_NUMBER = 1_000_000
# Bounds a response's size; openapi.yaml states the same maximum.
MAX_PAGE_SIZE = 100


class ParameterError(ValueError):
    """A query parameter the API cannot use; answered with 400 and its name as `source`."""

    def __init__(self, parameter: str, detail: str):
        super().__init__(detail)
        self.parameter = parameter
        self.detail = detail


# API answers hold personal data and depend on the token: never cached (every machine answer is
# no-store, security.MachineResponse), and a shared cache must not mix two tokens' answers.
VARY = (("Vary", "Authorization"),)


def document(body: dict, status: int = 200):
    """A response holding a JSON:API document (compact, keys sorted, as jsonify writes it)."""
    text = json.dumps(body, separators=(",", ":"), sort_keys=True)
    return machine_response(text, status, JSON_API, VARY)


def parameter_error(error: ParameterError):
    """400 naming the offending query parameter (JSON:API error `source.parameter`)."""
    error_object = {
        "status": "400",
        "title": "Bad Request",
        "detail": error.detail,
        "source": {"parameter": error.parameter},
    }
    return document({"errors": [error_object]}, 400)


def timestamp(value: datetime | None) -> str | None:
    """RFC 3339 in UTC (stored naive UTC)."""
    return None if value is None else value.replace(microsecond=0).isoformat() + "Z"


def identifier(kind: str, id_: int) -> dict:
    """A resource identifier object."""
    return {"type": kind, "id": str(id_)}


def organization_resource(organization: Organization) -> dict:
    """An organization as a JSON:API resource."""
    return {
        **identifier("organizations", organization.id),
        "attributes": {
            "name": organization.name,
            "isActive": organization.is_active,
            "isGlobalAccess": organization.is_global_access,
        },
    }


def user_resource(user: User) -> dict:
    """A back-office user as a JSON:API resource (no password hash, no organization list)."""
    return {
        **identifier("users", user.id),
        "attributes": {
            "email": user.email,
            "name": user.name,
            "isActive": user.is_active,
            "isAdmin": user.is_admin,
            "createdAt": timestamp(user.created_at),
        },
        "links": {"self": _users_url(request.host_url) + str(user.id)},
    }


@functools.lru_cache(maxsize=64)
def _users_url(host_url: str) -> str:
    """`…/admin/api/users/` as url_for builds it for this scheme, host and root path.

    Built once per host: url_for(_external=True) was ~8 % of a GET /admin/api/me.
    """
    url = url_for("api_backend.user_show", user_id=0, _external=True)
    return url.removesuffix("0")


def application_resource(application: OAuthApplication) -> dict:
    """An OAuth application without its secret (only a hash is stored anyway)."""
    return {
        **identifier("oauthapplications", application.id),
        "attributes": {
            "name": application.name,
            "clientId": application.client_id,
            "isActive": application.is_active,
            "scopes": application.scope_list,
            "lastUsedAt": timestamp(application.last_used_at),
            "createdAt": timestamp(application.created_at),
            "updatedAt": timestamp(application.updated_at),
        },
        "relationships": {
            "organization": {"data": identifier("organizations", application.organization_id)},
            "owner": {"data": identifier("users", application.owner_user_id)},
        },
    }


def customer_user_resource(customer: CustomerUser) -> dict:
    """A storefront customer user as a JSON:API resource."""
    return {
        **identifier("customerusers", customer.id),
        "attributes": {
            "email": customer.email,
            "name": customer.name,
            "isActive": customer.is_active,
            "createdAt": timestamp(customer.created_at),
        },
        "relationships": {
            "organization": {"data": identifier("organizations", customer.organization_id)}
        },
    }


def token_meta(token) -> dict:
    """What the caller's token says: its client id and granted scopes."""
    return {"clientId": token.client_id, "scopes": sorted(token.scopes)}


# -- pagination: page[number] (1-based) and page[size] ------------------------------------------


def page_parameters() -> tuple[int, int]:
    """page[number] and page[size] from the query string, checked; raise ParameterError."""
    config = current_app.config
    number = _positive_int("page[number]", 1, MAX_PAGE_NUMBER)
    default_size = min(int(config["API_PAGE_SIZE"]), MAX_PAGE_SIZE)
    size = _positive_int("page[size]", default_size, MAX_PAGE_SIZE)
    return number, size


def _positive_int(name: str, default: int, maximum: int) -> int:
    values = request.args.getlist(name)
    if not values:
        return default
    if len(values) > 1:
        raise ParameterError(name, f"{name} is given more than once.")
    value = values[0]
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= maximum:
        raise ParameterError(name, f"{name} must be an integer from 1 to {maximum}.")
    return int(value)


def page_document(resources: list[dict], total: int, number: int, size: int) -> dict:
    """A collection document with links to the neighbouring pages and the total count."""
    last = max(1, -(-total // size))
    links = {"self": _page_url(number, size), "first": _page_url(1, size)}
    links["last"] = _page_url(last, size)
    links["prev"] = _page_url(number - 1, size) if 1 < number <= last + 1 else None
    links["next"] = _page_url(number + 1, size) if number < last else None
    meta = {"totalCount": total, "page": {"number": number, "size": size, "last": last}}
    return {"data": resources, "links": links, "meta": meta}


def _page_url(number: int, size: int) -> str:
    values = {"page[number]": number, "page[size]": size}
    return url_for(request.endpoint, **(request.view_args or {}), **values, _external=True)
