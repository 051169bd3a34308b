"""Creation notifications over a real SMTP server on localhost (aiosmtpd)."""

import threading

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from oauthsrv.extensions import db
from oauthsrv.models import MailMessage, NotificationTemplate
from oauthsrv.notifications import outbox, settings
from oauthsrv.services import accounts, applications
from oauthsrv.signals import application_created
from tests.smtp_sink import parts, running_sink, smtp_config


@pytest.fixture
def smtp():
    yield from running_sink()


@pytest.fixture
def app_config(app_config, smtp):
    return smtp_config(app_config, smtp)


def all_messages() -> list[MailMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(MailMessage).order_by(MailMessage.id)))


def test_owner_gets_the_mail_with_client_id_and_never_the_secret(smtp, make_user):
    owner = make_user(email="ann@example.com", name="Ann Owner", orgs=("Acme",))
    application, secret = applications.create_application(
        owner, owner.organizations[0], "ERP sync", created_by="Bob Boss <bob@example.com>"
    )
    assert smtp.recipients() == [["ann@example.com"]]
    message = smtp.messages[0]
    assert message["Subject"] == 'OAuth application "ERP sync" added to your account'
    assert message["To"] == "ann@example.com"
    assert message["From"] == "oauthsrv@localhost"
    text, html = parts(message)
    for part in (text, html):
        assert application.client_id in part
        assert "ERP sync" in part and "Acme" in part
        assert "Bob Boss" in part
        assert "https://oauth.example.test/admin/profile" in part
        assert f"{application.created_at:%Y-%m-%d %H:%M} UTC" in part
    raw = smtp.envelopes[0].content.decode()
    assert secret not in raw
    [row] = all_messages()
    assert row.status == "sent" and row.attempts == 1 and row.sent_at is not None
    assert secret not in row.body_text + row.body_html + row.subject


@pytest.mark.parametrize(
    "locale, subject",
    [
        ("de", "OAuth-Anwendung „ERP“ zu Ihrem Konto hinzugefügt"),
        ("fr", "Application OAuth « ERP » ajoutée à votre compte"),
        ("de_DE", "OAuth-Anwendung „ERP“ zu Ihrem Konto hinzugefügt"),
        ("es", 'OAuth application "ERP" added to your account'),
    ],
)
def test_mail_is_in_the_owners_locale_falling_back_to_english(smtp, make_user, locale, subject):
    owner = make_user(locale=locale)
    applications.create_application(owner, owner.organizations[0], "ERP", created_by="test")
    assert smtp.messages[0]["Subject"] == subject


def test_rule_locale_overrides_the_owners(smtp, make_user):
    settings.save_rule(
        "backend_application_created",
        is_enabled=True,
        extra_recipients="",
        locale="fr",
        actor="test",
    )
    owner = make_user(locale="de")
    applications.create_application(owner, owner.organizations[0], "ERP", created_by="test")
    assert smtp.messages[0]["Subject"].startswith("Application OAuth")


def test_disabled_rule_sends_and_queues_nothing(smtp, make_user):
    settings.save_rule(
        "backend_application_created",
        is_enabled=False,
        extra_recipients="",
        locale=None,
        actor="test",
    )
    owner = make_user()
    applications.create_application(owner, owner.organizations[0], "ERP", created_by="test")
    assert smtp.envelopes == []
    assert all_messages() == []


def test_extra_recipients_receive_it_too(smtp, make_user):
    settings.save_rule(
        "backend_application_created",
        is_enabled=True,
        extra_recipients="security@example.com, Audit@Example.com",
        locale=None,
        actor="test",
    )
    owner = make_user(email="ann@example.com")
    applications.create_application(owner, owner.organizations[0], "ERP", created_by="test")
    [recipients] = smtp.recipients()
    assert sorted(recipients) == ["ann@example.com", "audit@example.com", "security@example.com"]
    assert set(smtp.messages[0]["To"].split(", ")) == set(recipients)


def test_customer_user_gets_the_customer_template(smtp, make_org):
    make_org("Globex")
    customer = accounts.create_customer_user("cody@example.com", "Cody", "Globex", locale="de")
    application, _ = applications.create_application(
        customer, customer.organization, "Shop app", created_by="command line"
    )
    assert smtp.recipients() == [["cody@example.com"]]
    message = smtp.messages[0]
    assert message["Subject"] == "OAuth-Anwendung „Shop app“ zu Ihrem Kundenkonto hinzugefügt"
    text, html = parts(message)
    assert application.client_id in text and "command line" in text
    assert "https://oauth.example.test/api/" in html
    assert "/admin/profile" not in text


def test_smtp_down_keeps_the_mail_until_send_pending_delivers_it_once(smtp, make_user, runner):
    smtp.stop()
    owner = make_user(email="ann@example.com")
    application, _ = applications.create_application(
        owner, owner.organizations[0], "ERP", created_by="test"
    )
    assert applications.find_by_client_id(application.client_id) is not None
    [row] = all_messages()
    assert row.status == "failed" and row.attempts == 1
    assert "Connection refused" in row.last_error or "Errno" in row.last_error
    assert row.next_attempt_at > row.created_at  # backoff

    result = runner.invoke(args=["notifications", "send-pending"])
    assert result.exit_code == 1 and "failed: 1" in result.output
    smtp.start()
    result = runner.invoke(args=["notifications", "send-pending"])
    assert result.exit_code == 0, result.output
    assert "Sent: 1, failed: 0, still queued: 0" in result.output
    assert smtp.recipients() == [["ann@example.com"]]
    assert application.client_id in smtp.messages[0].get_body(("plain",)).get_content()

    assert runner.invoke(args=["notifications", "send-pending"]).output.startswith("Sent: 0")
    assert len(smtp.envelopes) == 1
    [row] = all_messages()
    assert row.status == "sent" and row.attempts == 3


def test_later_requests_retry_after_the_backoff(smtp, make_user, client, app):
    app.config.update(MAIL_OUTBOX_POLL_INTERVAL=0, MAIL_OUTBOX_BACKOFF=3600)
    smtp.stop()
    owner = make_user()
    applications.create_application(owner, owner.organizations[0], "ERP", created_by="test")
    smtp.start()
    client.get("/admin/login")
    assert smtp.envelopes == []  # still backing off
    [row] = all_messages()
    row.next_attempt_at = row.created_at  # the backoff has passed
    db.session.commit()
    client.get("/admin/login")
    assert len(smtp.envelopes) == 1
    client.get("/admin/login")
    assert len(smtp.envelopes) == 1
    assert all_messages()[0].status == "sent"


def test_backoff_doubles_up_to_the_maximum(app):
    app.config.update(MAIL_OUTBOX_BACKOFF=60, MAIL_OUTBOX_BACKOFF_MAX=600)
    delays = [outbox.backoff(n).total_seconds() for n in range(1, 7)]
    assert delays == [60, 120, 240, 480, 600, 600]


def test_rolled_back_creation_sends_nothing(smtp, make_user):
    owner = make_user()

    def refuse(sender, **extra):
        raise RuntimeError("a later listener fails")

    application_created.connect(refuse)
    try:
        with pytest.raises(RuntimeError):
            applications.create_application(owner, owner.organizations[0], "ERP", created_by="test")
    finally:
        application_created.disconnect(refuse)
    db.session.rollback()
    db.session.commit()
    assert smtp.envelopes == [] and all_messages() == []


def test_only_one_of_several_senders_claims_a_message(smtp, make_user, app):
    smtp.stop()
    owner = make_user()
    applications.create_application(owner, owner.organizations[0], "ERP", created_by="test")
    smtp.start()
    [row] = all_messages()
    with Session(db.engine) as first, Session(db.engine) as second:
        assert outbox.claim(first, row.id, ignore_backoff=True) is True
        assert outbox.claim(second, row.id, ignore_backoff=True) is False


def test_concurrent_send_pending_sends_each_message_once(smtp, make_user, app):
    smtp.stop()
    owner = make_user()
    for name in ("One", "Two", "Three"):
        applications.create_application(owner, owner.organizations[0], name, created_by="test")
    smtp.start()

    def send():
        with app.app_context():
            outbox.deliver(ignore_backoff=True)

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    subjects = sorted(message["Subject"] for message in smtp.messages)
    assert subjects == sorted(
        f'OAuth application "{n}" added to your account' for n in "One Two Three".split()
    )
    assert {row.status for row in all_messages()} == {"sent"}


def test_edited_template_is_used_and_a_broken_one_falls_back_to_the_default(smtp, make_user):
    event = "backend_application_created"
    default = settings.shipped_template(event, "en")
    settings.save_template(
        event,
        "en",
        settings.EmailTemplate(
            "New app: {{ application_name }}", default.body_text, default.body_html
        ),
        actor="test",
    )
    owner = make_user()
    applications.create_application(owner, owner.organizations[0], "ERP", created_by="test")
    assert smtp.messages[-1]["Subject"] == "New app: ERP"

    # Renders with the sample name (18 characters), divides by zero with a 7-character one.
    row = db.session.scalar(select(NotificationTemplate))
    row.subject = "{{ 1 // (application_name|length - 7) }}"
    db.session.commit()
    applications.create_application(owner, owner.organizations[0], "Seven c", created_by="test")
    assert smtp.messages[-1]["Subject"] == 'OAuth application "Seven c" added to your account'
