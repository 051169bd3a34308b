"""Queues the owner's email when an application is created or its secret regenerated, in the
transaction that makes the change."""

import logging

from ..models import OAuthApplication
from ..services import clock
from .events import SECRET_REGENERATED, Event, event_for_kind, links
from .outbox import queue
from .rendering import DEFAULT_LOCALE, RenderedEmail, RenderError, render, shipped_template
from .settings import effective_template, get_rule, resolve_locale

log = logging.getLogger(__name__)


def event_context(event: Event, application: OAuthApplication, **values) -> dict:
    """The variables `event`'s templates use: the application's and its owner's, the links, and
    the event's own `values`. No secret is ever among them."""
    owner = application.owner
    every = {
        "owner_name": owner.name,
        "owner_email": owner.email,
        "application_name": application.name,
        "client_id": application.client_id,
        "organization": application.organization.name,
        **values,
        **links(),
    }
    return {name: every[name] for name in event.variables}


def application_context(event: Event, application: OAuthApplication, created_by: str) -> dict:
    """The template variables for a new application."""
    created_at = f"{application.created_at:%Y-%m-%d %H:%M} UTC"
    return event_context(event, application, created_by=created_by, created_at=created_at)


def render_for(event: Event, locale: str, context: dict) -> RenderedEmail:
    """Render the template in use; if an edited one fails on real values, the shipped one."""
    template, is_custom = effective_template(event.key, locale)
    try:
        return render(template, context)
    except RenderError as error:
        if not is_custom:
            raise
        log.error("edited %s template (%s) failed, using the default: %s", event.key, locale, error)
    return render(
        shipped_template(event.key, locale) or shipped_template(event.key, DEFAULT_LOCALE), context
    )


def recipients_for(owner_email: str, extra: tuple[str, ...]) -> list[str]:
    """The owner first, then the rule's fixed addresses, each once."""
    recipients = [owner_email.lower()]
    recipients += [address for address in extra if address not in recipients]
    return recipients


def on_application_created(sender, application: OAuthApplication, created_by: str, **extra):
    """Queue the email the rule asks for; the outbox row commits with the application."""
    event = event_for_kind(application.kind)
    queue_for_owner(event, application, application_context(event, application, created_by))


def regeneration_context(event: Event, application: OAuthApplication, actor: str, until) -> dict:
    """The template variables for a regenerated secret (neither secret is among them)."""
    return event_context(
        event,
        application,
        regenerated_by=actor,
        regenerated_at=f"{clock.now():%Y-%m-%d %H:%M} UTC",
        previous_secret_valid_until=f"{until:%Y-%m-%d %H:%M} UTC" if until else "",
    )


def on_secret_regenerated(
    sender, application: OAuthApplication, actor: str, previous_valid_until, **extra
):
    """Queue the owner's email about a new secret, with the overlap's end if there is one."""
    event = event_for_kind(application.kind, SECRET_REGENERATED)
    context = regeneration_context(event, application, actor, previous_valid_until)
    queue_for_owner(event, application, context)


def queue_for_owner(event: Event, application: OAuthApplication, context: dict) -> None:
    """Render and queue `event`'s email as its rule says (on or off, locale, extra recipients)."""
    rule = get_rule(event.key)
    if not rule.is_enabled:
        log.info("%s notification disabled; no mail for %s", event.key, application.client_id)
        return
    locale = rule.locale or resolve_locale(application.owner.locale)
    email = render_for(event, locale, context)
    recipients = recipients_for(application.owner.email, rule.extra_recipients)
    queue(event.key, recipients, email)
    log.info("%s mail queued for %s (%s)", event.key, application.client_id, locale)
