"""System Configuration → Notifications: templates, rules and the outbox, for administrators."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..auth.forms import ConfirmForm
from ..htmx import render_page_or_fragment
from ..inputs import query_int
from ..security import CONTENT_SECURITY_POLICY
from ..services import ValidationError
from ..templating import LOCALES
from . import outbox, settings
from .events import EVENTS, sample_context
from .forms import RuleForm, TemplateForm
from .rendering import EmailTemplate, RenderError, render

# The HTML preview is an <iframe sandbox srcdoc>, which inherits this page's policy; email HTML
# is styled inline, so this page alone allows inline styles. Scripts stay off (sandbox, CSP).
PREVIEW_CSP = CONTENT_SECURITY_POLICY.replace(
    "style-src 'self'", "style-src 'self' 'unsafe-inline'"
)

bp = Blueprint("notifications", __name__, url_prefix="/admin/system/notifications")


@bp.before_request
def require_administrator():
    """Administrators only: anonymous users are sent to log in, everyone else gets 403."""
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    if not current_user.is_admin:
        abort(403)


def _actor() -> str:
    """Who made a change, for the log line."""
    return current_user.email


def _event_or_404(event_key: str):
    if event_key not in EVENTS:
        abort(404)
    return EVENTS[event_key]


def _locale_or_404(locale: str) -> str:
    if locale not in LOCALES:
        abort(404)
    return locale


def _rule_form(event_key: str, formdata=None) -> RuleForm:
    rule = settings.get_rule(event_key)
    form = RuleForm(formdata=formdata, prefix=event_key)
    if formdata is None:
        form.is_enabled.data = rule.is_enabled
        form.extra_recipients.data = "\n".join(rule.extra_recipients)
        form.locale.data = rule.locale or ""
    return form


def _template_rows() -> list[dict]:
    rows = []
    for event in EVENTS.values():
        for locale in LOCALES:
            template, is_custom = settings.effective_template(event.key, locale)
            rows.append(
                dict(event=event, locale=locale, subject=template.subject, custom=is_custom)
            )
    return rows


def _settings_page(rule_forms: dict | None = None, status: int = 200):
    rule_forms = rule_forms or {}
    forms = {key: rule_forms.get(key) or _rule_form(key) for key in EVENTS}
    context = dict(
        events=EVENTS,
        rule_forms=forms,
        rules={key: settings.get_rule(key) for key in EVENTS},
        templates=_template_rows(),
        messages=outbox.unsent_messages(),
        sent=outbox.sent_messages(query_int(request.args.get("page")) or 1),
        counts=outbox.counts(),
        confirm=ConfirmForm(),
    )
    return render_template("notifications/settings.html", **context), status


@bp.get("", endpoint="settings")
def settings_show():
    """The Notifications page: email templates, notification rules, and unsent messages."""
    return _settings_page()


@bp.post("/rules/<event_key>")
def rule_update(event_key):
    """Save the rule of one event: enabled, additional recipients, locale."""
    event = _event_or_404(event_key)
    form = _rule_form(event.key, request.form)
    if form.validate_on_submit():
        try:
            settings.save_rule(
                event.key,
                is_enabled=form.is_enabled.data,
                extra_recipients=form.extra_recipients.data,
                locale=form.locale.data or None,
                actor=_actor(),
            )
        except ValidationError as error:
            getattr(form, error.field or "extra_recipients").errors.append(error.message)
        else:
            flash(f"Rule saved: {event.label}.", "success")
            return redirect(url_for(".settings", _anchor=f"rule-{event.key}"), 303)
    return _settings_page({event.key: form}, 422)


@bp.post("/rules/<event_key>/reset")
def rule_reset(event_key):
    """Put the rule of one event back to the default."""
    event = _event_or_404(event_key)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    settings.reset_rule(event.key, actor=_actor())
    flash(f"Rule reset to the default: {event.label}.", "success")
    return redirect(url_for(".settings", _anchor=f"rule-{event.key}"), 303)


def _form_template(form: TemplateForm) -> EmailTemplate:
    return EmailTemplate(
        form.subject.data or "", form.body_text.data or "", form.body_html.data or ""
    )


def _edit_page(event, locale, form, preview=None, status=200):
    _, is_custom = settings.effective_template(event.key, locale)
    response = render_page_or_fragment(
        "notifications/template_edit.html",
        "notifications/_preview.html",
        status,
        event=event,
        locale=locale,
        form=form,
        preview=preview,
        is_custom=is_custom,
        confirm=ConfirmForm(),
    )
    response.headers["Content-Security-Policy"] = PREVIEW_CSP
    return response


@bp.route("/templates/<event_key>/<locale>", methods=["GET", "POST"])
def template_edit(event_key, locale):
    """Edit the subject, text and HTML of one event's email in one locale."""
    event, locale = _event_or_404(event_key), _locale_or_404(locale)
    form = TemplateForm()
    if request.method == "GET":
        template, _ = settings.effective_template(event.key, locale)
        form.process(data=vars(template))
    elif form.validate_on_submit():
        try:
            settings.save_template(event.key, locale, _form_template(form), actor=_actor())
        except ValidationError as error:
            getattr(form, error.field).errors.append(error.message)
        else:
            flash(f"Template saved: {event.label} ({LOCALES[locale]}).", "success")
            return redirect(url_for(".template_edit", event_key=event.key, locale=locale), 303)
    status = 422 if form.errors else 200
    return _edit_page(event, locale, form, status=status)


@bp.post("/templates/<event_key>/<locale>/preview")
def template_preview(event_key, locale):
    """Render the unsaved template with sample values; htmx swaps in just the preview."""
    event, locale = _event_or_404(event_key), _locale_or_404(locale)
    form = TemplateForm()
    if not form.validate_on_submit() and "csrf_token" in form.errors:
        abort(400)
    context = sample_context(event)
    try:
        preview = {"email": render(_form_template(form), context), "error": None}
    except RenderError as error:
        preview = {"email": None, "error": str(error)}
    return _edit_page(event, locale, form, preview=preview)


@bp.post("/templates/<event_key>/<locale>/reset")
def template_reset(event_key, locale):
    """Put one event's email in one locale back to the shipped template."""
    event, locale = _event_or_404(event_key), _locale_or_404(locale)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    settings.reset_template(event.key, locale, actor=_actor())
    flash(f"Template reset to the default: {event.label} ({LOCALES[locale]}).", "success")
    return redirect(url_for(".template_edit", event_key=event.key, locale=locale), 303)


@bp.post("/outbox/send")
def outbox_send():
    """Try every pending and failed message now, ignoring the backoff."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    report = outbox.deliver(ignore_backoff=True)
    category = "error" if report.failed else "success"
    flash(f"Sent: {report.sent}, failed: {report.failed}.", category)
    return redirect(url_for(".settings", _anchor="outbox"), 303)
