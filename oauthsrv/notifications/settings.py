"""What an administrator changes: email templates per event and locale, and notification rules.

A missing row means the shipped default, so "reset to default" is deleting the row.
"""

import logging
import re
from dataclasses import dataclass

from sqlalchemy import select

from ..extensions import db
from ..models import NotificationRule, NotificationTemplate
from ..services import ValidationError
from ..services.accounts import normalize_email
from ..templating import LOCALES
from .events import EVENTS, Event, sample_context
from .rendering import DEFAULT_LOCALE, EmailTemplate, RenderError, render_part, shipped_template

log = logging.getLogger(__name__)

MAX_PART_LENGTH = {"subject": 998, "body_text": 20_000, "body_html": 40_000}


@dataclass(frozen=True)
class Rule:
    event: str
    is_enabled: bool = True
    extra_recipients: tuple[str, ...] = ()
    locale: str | None = None  # None: the owner's preferred locale
    is_custom: bool = False


def require_event(key: str) -> Event:
    """The event with this key, or a ValidationError (the views turn it into a 404)."""
    if key not in EVENTS:
        raise ValidationError(f"Unknown notification event: {key}")
    return EVENTS[key]


def require_locale(code: str) -> str:
    """A locale templates exist for, or a ValidationError."""
    if code not in LOCALES:
        raise ValidationError(f"Unknown locale: {code}", field="locale")
    return code


def resolve_locale(preferred: str | None) -> str:
    """The best shipped locale for a preference such as "de_DE": exact, language, else English."""
    preferred = (preferred or "").replace("_", "-").lower()
    for candidate in (preferred, preferred.split("-")[0]):
        if candidate in LOCALES:
            return candidate
    return DEFAULT_LOCALE


def _template_row(event: str, locale: str) -> NotificationTemplate | None:
    query = select(NotificationTemplate).filter_by(event=event, locale=locale)
    return db.session.scalar(query)


def effective_template(event: str, locale: str) -> tuple[EmailTemplate, bool]:
    """The template in use for an event and locale, and whether an administrator changed it."""
    row = _template_row(event, locale)
    if row is not None:
        return EmailTemplate(row.subject, row.body_text, row.body_html), True
    default = shipped_template(event, locale) or shipped_template(event, DEFAULT_LOCALE)
    return default, False


def check_template(event: Event, template: EmailTemplate) -> None:
    """Render every part with sample values; raise ValidationError on the first failing part."""
    context = sample_context(event)
    for part, limit in MAX_PART_LENGTH.items():
        source = getattr(template, part)
        if not source.strip():
            raise ValidationError("This field is required.", field=part)
        if len(source) > limit:
            raise ValidationError(f"At most {limit} characters.", field=part)
        try:
            render_part(part, source, context)
        except RenderError as error:
            raise ValidationError(f"The template does not render: {error}", field=part) from None


def save_template(event_key: str, locale: str, template: EmailTemplate, *, actor: str) -> None:
    """Store an administrator's template after checking that it renders."""
    event = require_event(event_key)
    require_locale(locale)
    check_template(event, template)
    row = _template_row(event.key, locale) or NotificationTemplate(event=event.key, locale=locale)
    row.subject = template.subject.strip()
    row.body_text = template.body_text
    row.body_html = template.body_html
    db.session.add(row)
    db.session.commit()
    log.info("%s changed the %s email template (%s)", actor, event.key, locale)


def reset_template(event_key: str, locale: str, *, actor: str) -> None:
    """Go back to the shipped template for an event and locale."""
    event = require_event(event_key)
    row = _template_row(event.key, require_locale(locale))
    if row is not None:
        db.session.delete(row)
        db.session.commit()
    log.info("%s reset the %s email template (%s) to the default", actor, event.key, locale)


def get_rule(event_key: str) -> Rule:
    """The rule in force for an event (the default when none was saved)."""
    row = db.session.get(NotificationRule, event_key)
    if row is None:
        return Rule(event_key)
    extras = tuple(address for address in row.extra_recipients.split(",") if address)
    return Rule(event_key, row.is_enabled, extras, row.locale or None, is_custom=True)


def parse_recipients(text: str) -> tuple[str, ...]:
    """Addresses separated by commas, semicolons or lines, validated and without duplicates."""
    addresses = [part.strip() for part in re.split(r"[,;\n]", text) if part.strip()]
    normalized = []
    for address in addresses:
        try:
            address = normalize_email(address)
        except ValidationError:
            raise ValidationError(
                f"Invalid email address: {address}", field="extra_recipients"
            ) from None
        if address not in normalized:
            normalized.append(address)
    return tuple(normalized)


def save_rule(
    event_key: str, *, is_enabled: bool, extra_recipients: str, locale: str | None, actor: str
) -> Rule:
    """Store the rule for an event: on or off, extra recipients, fixed locale or the owner's."""
    event = require_event(event_key)
    extras = parse_recipients(extra_recipients or "")
    locale = require_locale(locale) if locale else None
    row = db.session.get(NotificationRule, event.key) or NotificationRule(event=event.key)
    row.is_enabled = is_enabled
    row.extra_recipients = ",".join(extras)
    row.locale = locale
    db.session.add(row)
    db.session.commit()
    log.info(
        "%s changed the %s rule: enabled=%s, extra recipients=%d, locale=%s",
        actor,
        event.key,
        is_enabled,
        len(extras),
        locale or "owner's",
    )
    return get_rule(event.key)


def reset_rule(event_key: str, *, actor: str) -> None:
    """Go back to the default rule: enabled, the owner only, in the owner's locale."""
    event = require_event(event_key)
    row = db.session.get(NotificationRule, event.key)
    if row is not None:
        db.session.delete(row)
        db.session.commit()
    log.info("%s reset the %s rule to the default", actor, event.key)
