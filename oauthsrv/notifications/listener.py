"""Queues the owner's email when an application is created, in the creating transaction."""

import logging

from ..models import OAuthApplication
from .events import Event, event_for_kind, links
from .outbox import queue
from .rendering import DEFAULT_LOCALE, RenderedEmail, RenderError, render, shipped_template
from .settings import effective_template, get_rule, resolve_locale

log = logging.getLogger(__name__)


def application_context(event: Event, application: OAuthApplication, created_by: str) -> dict:
    """The template variables for a new application; the secret is not among them."""
    owner = application.owner
    values = {
        "owner_name": owner.name,
        "owner_email": owner.email,
        "application_name": application.name,
        "client_id": application.client_id,
        "organization": application.organization.name,
        "created_by": created_by,
        "created_at": f"{application.created_at:%Y-%m-%d %H:%M} UTC",
        **links(),
    }
    return {name: values[name] for name in event.variables}


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
    rule = get_rule(event.key)
    if not rule.is_enabled:
        log.info("%s notification disabled; no mail for %s", event.key, application.client_id)
        return
    locale = rule.locale or resolve_locale(application.owner.locale)
    email = render_for(event, locale, application_context(event, application, created_by))
    recipients = recipients_for(application.owner.email, rule.extra_recipients)
    queue(event.key, recipients, email)
    log.info("%s mail queued for %s (%s)", event.key, application.client_id, locale)
