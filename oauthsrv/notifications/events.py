"""The events that send email, the variables their templates may use, and sample values."""

import logging
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from flask import current_app, has_request_context, request

from ..models.oauth import BACKEND, FRONTEND

log = logging.getLogger(__name__)
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
FALLBACK_BASE_URL = "http://127.0.0.1:5000"

BACKEND_APPLICATION_CREATED = "backend_application_created"
FRONTEND_APPLICATION_CREATED = "frontend_application_created"
BACKEND_SECRET_REGENERATED = "backend_secret_regenerated"
FRONTEND_SECRET_REGENERATED = "frontend_secret_regenerated"
CREATED = "created"
SECRET_REGENERATED = "secret_regenerated"

# Shared by both events: what the owner needs to recognise the application (never the secret).
_APPLICATION_VARIABLES = {
    "owner_name": "Name of the application's owner",
    "owner_email": "Primary email of the owner",
    "application_name": "Application Name",
    "client_id": "Client ID",
    "organization": "Organization the application belongs to",
    "created_by": 'Who created it (a user\'s name and email, or "command line")',
    "created_at": "When it was created (UTC)",
    "token_url": "Token endpoint the application requests access tokens from",
}

# A regenerated secret: who did it, when, and until when the previous secret still works.
_REGENERATED_VARIABLES = {
    **{name: _APPLICATION_VARIABLES[name] for name in ("owner_name", "owner_email")},
    **{name: _APPLICATION_VARIABLES[name] for name in ("application_name", "client_id")},
    "organization": _APPLICATION_VARIABLES["organization"],
    "regenerated_by": 'Who regenerated it (a user\'s name and email, or "command line")',
    "regenerated_at": "When it was regenerated (UTC)",
    "previous_secret_valid_until": (
        "Until when the previous secret still works (UTC); empty when it stopped at once"
    ),
    "token_url": _APPLICATION_VARIABLES["token_url"],
}

_SAMPLE = {
    "owner_name": "Ada Admin",
    "owner_email": "ada@example.com",
    "application_name": "Sample integration",
    "client_id": "sAmPlEcLiEnTiD0123456789abcdefgh",
    "organization": "Acme Corp",
    "created_by": "Ada Admin <ada@example.com>",
    "created_at": "2025-01-31 09:30 UTC",
    "regenerated_by": "Ada Admin <ada@example.com>",
    "regenerated_at": "2025-02-14 10:00 UTC",
    "previous_secret_valid_until": "2025-02-15 10:00 UTC",
}


@dataclass(frozen=True)
class Event:
    key: str
    label: str
    kind: str  # the kind of application (owner) the event is about
    variables: dict[str, str] = field(default_factory=dict)
    action: str = CREATED  # what happened to the application: CREATED or SECRET_REGENERATED


EVENTS = {
    BACKEND_APPLICATION_CREATED: Event(
        BACKEND_APPLICATION_CREATED,
        "back-office user application created",
        BACKEND,
        {**_APPLICATION_VARIABLES, "my_user_url": "Link to My User, where the owner manages it"},
    ),
    FRONTEND_APPLICATION_CREATED: Event(
        FRONTEND_APPLICATION_CREATED,
        "customer user application created",
        FRONTEND,
        {
            **_APPLICATION_VARIABLES,
            "api_url": "Base URL of the storefront API",
            "storefront_url": "The storefront (STOREFRONT_URL; empty when not configured)",
        },
    ),
    BACKEND_SECRET_REGENERATED: Event(
        BACKEND_SECRET_REGENERATED,
        "back-office user application secret regenerated",
        BACKEND,
        {**_REGENERATED_VARIABLES, "my_user_url": "Link to My User, where the owner manages it"},
        SECRET_REGENERATED,
    ),
    FRONTEND_SECRET_REGENERATED: Event(
        FRONTEND_SECRET_REGENERATED,
        "customer user application secret regenerated",
        FRONTEND,
        _REGENERATED_VARIABLES,
        SECRET_REGENERATED,
    ),
}


def event_for_kind(kind: str, action: str = CREATED) -> Event:
    """The event for `action` on an application of this kind (by default its creation)."""
    return next(e for e in EVENTS.values() if e.kind == kind and e.action == action)


def public_base_url() -> str:
    """Where links in emails and previews point (the mail is read outside any request).

    BASE_URL, else OAUTH_ISSUER (production sets one of them). Else, on a loopback address (the
    dev server), the URL the request came to, so `PORT=8000 make run` links to port 8000; a
    Host header from elsewhere is never trusted for links that leave in an email.
    """
    config = current_app.config
    configured = config.get("BASE_URL") or config.get("OAUTH_ISSUER")
    if configured:
        return configured.rstrip("/")
    if has_request_context() and urlsplit(request.host_url).hostname in LOOPBACK_HOSTS:
        return request.host_url.rstrip("/")
    log.warning("BASE_URL and OAUTH_ISSUER are not set: links point to %s", FALLBACK_BASE_URL)
    return FALLBACK_BASE_URL


def links(base_url: str | None = None) -> dict[str, str]:
    """The link variables, built on `base_url` (default: public_base_url())."""
    base_url = (base_url or public_base_url()).rstrip("/")
    return {
        "token_url": f"{base_url}/oauth2-token",
        "my_user_url": f"{base_url}/admin/profile",
        "api_url": f"{base_url}/api/",
        "storefront_url": current_app.config.get("STOREFRONT_URL") or "",
    }


def sample_context(event: Event, base_url: str | None = None) -> dict[str, str]:
    """Made-up values for the preview and for checking a template before it is saved."""
    values = {**_SAMPLE, **links(base_url)}
    return {name: values[name] for name in event.variables}
