"""System Configuration → Notifications, and the no-SMTP mode (log + files)."""

import logging
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from sqlalchemy import select

from oauthsrv.extensions import db
from oauthsrv.models import MailMessage, NotificationRule, NotificationTemplate
from oauthsrv.models.base import utcnow
from oauthsrv.services import applications

PAGE = "/admin/system/notifications"
EDIT = PAGE + "/templates/backend_application_created/en"
EVENT = "backend_application_created"


@pytest.fixture
def admin(make_user, auth):
    user = make_user(email="root@example.com", name="Root Admin", is_admin=True)
    auth.login("root@example.com")
    return user


def template_data(**changes) -> dict:
    data = {
        "subject": "Hi {{ owner_name }}",
        "body_text": "Client ID: {{ client_id }}",
        "body_html": "<p>Client ID: {{ client_id }}</p>",
    }
    return {**data, **changes}


def mail_files(app) -> list[Path]:
    return sorted(Path(app.config["MAIL_FILE_DIRECTORY"]).glob("*.eml"))


def test_anonymous_users_are_sent_to_log_in(client):
    response = client.get(PAGE)
    assert response.status_code == 302 and "/admin/login" in response.headers["Location"]


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", PAGE),
        ("get", EDIT),
        ("post", EDIT),
        ("post", EDIT + "/preview"),
        ("post", EDIT + "/reset"),
        ("post", PAGE + "/rules/backend_application_created"),
        ("post", PAGE + "/outbox/send"),
    ],
)
def test_non_administrators_get_403(client, auth, make_user, method, path):
    make_user(email="ann@example.com")
    auth.login("ann@example.com")
    response = getattr(client, method)(path, data=template_data())
    assert response.status_code == 403
    assert "You do not have permission" in response.get_data(as_text=True)


def test_navigation_links_the_page_for_administrators_only(client, auth, make_user):
    make_user(email="ann@example.com")
    make_user(email="root@example.com", is_admin=True)
    auth.login("ann@example.com")
    assert PAGE not in client.get("/admin/profile").get_data(as_text=True)
    auth.logout()
    auth.login("root@example.com")
    assert f'href="{PAGE}"' in client.get("/admin/profile").get_data(as_text=True)


def test_page_lists_templates_per_event_and_locale_rules_and_outbox(client, admin):
    html = client.get(PAGE).get_data(as_text=True)
    assert "Back-office user application created" in html
    assert "Customer user application created" in html
    assert "Back-office user application secret regenerated" in html
    assert "Customer user application secret regenerated" in html
    for locale in ("English", "Deutsch", "Français"):
        assert locale in html
    assert html.count(">Edit</a>") == 12  # four events, three locales
    assert "Notification rules" in html and "Owner&#39;s preferred locale" in html
    assert "No pending or failed messages." in html


def test_edit_page_lists_the_variables(client, admin):
    html = client.get(EDIT).get_data(as_text=True)
    for name in ("application_name", "client_id", "organization", "created_by", "my_user_url"):
        assert f"<code>{name}</code>" in html
    assert "OAuth application &#34;{{ application_name }}&#34; added to your account" in html


@pytest.mark.parametrize(
    "field, source, message",
    [
        ("subject", "Hi {{ password }}", "&#39;password&#39; is undefined"),
        ("body_text", "{% if %}", "Text (line 1)"),
        ("body_html", "{{ client_id.__class__.__mro__ }}", "HTML"),
        ("body_text", "{{ owner_name.format.__globals__ }}", "unsafe"),
        ("body_text", "{{ 'x' * 10000000 }}", "result longer than"),
        ("body_text", "{{ 9 ** 999999 }}", "exponent larger than"),
        ("body_text", "{{ 1 / 0 }}", "ZeroDivisionError"),
        ("body_text", "{% for i in range(3) %}{{ i }}{% endfor %}", "&#39;range&#39; is undefined"),
        ("body_text", "{{ lipsum(1000) }}", "&#39;lipsum&#39; is undefined"),
        ("subject", "   ", "This field is required."),
    ],
)
def test_a_template_that_does_not_render_is_refused_with_the_error(
    client, admin, field, source, message
):
    response = client.post(EDIT, data=template_data(**{field: source}))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(NotificationTemplate)) is None


def test_saving_and_resetting_a_template(client, admin, make_user, app):
    response = client.post(EDIT, data=template_data())
    assert response.status_code == 303
    html = client.get(EDIT).get_data(as_text=True)
    assert "Template saved" in html and "Customized" in html
    owner = make_user(email="ann@example.com", name="Ann")
    application, _ = applications.create_application(
        owner, owner.organizations[0], "ERP", created_by="test"
    )
    message = message_from_bytes(mail_files(app)[-1].read_bytes(), policy=policy.default)
    assert message["Subject"] == "Hi Ann"
    assert (
        message.get_body(("plain",)).get_content().strip() == f"Client ID: {application.client_id}"
    )

    assert client.post(EDIT + "/reset").status_code == 303
    assert db.session.scalar(select(NotificationTemplate)) is None
    assert "Default" in client.get(EDIT).get_data(as_text=True)


def test_html_variables_are_escaped(client, admin, make_user, app):
    client.post(EDIT, data=template_data(body_html="<p>{{ application_name }}</p>"))
    owner = make_user()
    applications.create_application(owner, owner.organizations[0], "<b>bold</b>", created_by="test")
    message = message_from_bytes(mail_files(app)[-1].read_bytes(), policy=policy.default)
    assert "&lt;b&gt;bold&lt;/b&gt;" in message.get_body(("html",)).get_content()


def test_preview_renders_the_unsaved_template_with_sample_values(client, admin):
    response = client.post(EDIT + "/preview", data=template_data(), headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<section class="card" id="email-preview"')
    assert "Hi Ada Admin" in html and "Client ID: sAmPlEcLiEnTiD" in html
    assert "srcdoc=" in html and "sandbox" in html
    assert db.session.scalar(select(NotificationTemplate)) is None


def test_preview_shows_the_error_of_a_broken_template(client, admin):
    response = client.post(
        EDIT + "/preview", data=template_data(subject="{{ nope }}"), headers={"HX-Request": "true"}
    )
    assert "The template does not render: Subject: &#39;nope&#39; is undefined" in (
        response.get_data(as_text=True)
    )


def test_preview_without_javascript_shows_the_whole_page(client, admin):
    response = client.post(EDIT + "/preview", data=template_data())
    html = response.get_data(as_text=True)
    assert "<h1>" in html and "Hi Ada Admin" in html


@pytest.mark.parametrize(
    "path",
    [
        PAGE + "/templates/nope/en",
        PAGE + "/templates/backend_application_created/xx",
    ],
)
def test_unknown_event_or_locale_is_404(client, admin, path):
    assert client.get(path).status_code == 404


def test_unknown_rule_event_is_404(client, admin):
    assert client.post(PAGE + "/rules/nope", data={}).status_code == 404


def test_rule_saves_and_resets(client, admin):
    data = {
        f"{EVENT}-is_enabled": "y",
        f"{EVENT}-extra_recipients": "ops@example.com\nSec@Example.com, ops@example.com",
        f"{EVENT}-locale": "de",
    }
    assert client.post(PAGE + f"/rules/{EVENT}", data=data).status_code == 303
    rule = db.session.get(NotificationRule, EVENT)
    assert (rule.is_enabled, rule.extra_recipients, rule.locale) == (
        True,
        "ops@example.com,sec@example.com",
        "de",
    )
    html = client.get(PAGE).get_data(as_text=True)
    assert "Rule saved" in html and "Reset to default" in html
    assert client.post(PAGE + f"/rules/{EVENT}/reset").status_code == 303
    db.session.expire_all()
    assert db.session.get(NotificationRule, EVENT) is None


def test_rule_with_a_bad_address_is_refused(client, admin):
    data = {f"{EVENT}-extra_recipients": "ops@example.com; not an address"}
    response = client.post(PAGE + f"/rules/{EVENT}", data=data)
    assert response.status_code == 422
    assert "Invalid email address: not an address" in response.get_data(as_text=True)
    assert db.session.get(NotificationRule, EVENT) is None


def test_rule_with_an_unknown_locale_is_refused(client, admin):
    response = client.post(PAGE + f"/rules/{EVENT}", data={f"{EVENT}-locale": "xx"})
    assert response.status_code == 422
    assert "Not a valid choice" in response.get_data(as_text=True)


def test_without_smtp_the_mail_is_logged_and_written_to_a_file(app, make_user, caplog):
    owner = make_user(email="ann@example.com")
    with caplog.at_level(logging.INFO, logger="oauthsrv.notifications"):
        application, secret = applications.create_application(
            owner, owner.organizations[0], "ERP", created_by="command line"
        )
    [path] = mail_files(app)
    raw = path.read_text()
    assert "To: ann@example.com" in raw and "command line" in raw
    assert secret not in raw and secret not in caplog.text
    assert application.client_id in caplog.text and str(path) in caplog.text
    row = db.session.scalar(select(MailMessage))
    assert row.status == "sent"


def test_administrators_see_failed_messages_and_can_send_them(client, admin, app):
    message = MailMessage(
        event=EVENT,
        recipients="ann@example.com",
        subject="Stuck",
        body_text="text",
        body_html="<p>html</p>",
        status="failed",
        attempts=2,
        last_error="SMTPServerDisconnected: Connection unexpectedly closed",
        next_attempt_at=utcnow().replace(year=2999),
    )
    db.session.add(message)
    db.session.commit()
    html = client.get(PAGE).get_data(as_text=True)
    assert "Stuck" in html and "Connection unexpectedly closed" in html and "Failed" in html
    response = client.post(PAGE + "/outbox/send", follow_redirects=True)
    assert "Sent: 1, failed: 0." in response.get_data(as_text=True)
    assert len(mail_files(app)) == 1
    db.session.expire_all()
    assert db.session.get(MailMessage, message.id).status == "sent"


class TestWithCsrf:
    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "WTF_CSRF_ENABLED": True}

    def test_posts_without_the_token_are_refused(self, client, make_user):
        make_user(email="root@example.com", is_admin=True)
        login_page = client.get("/admin/login").get_data(as_text=True)
        token = login_page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
        client.post(
            "/admin/login",
            data={
                "email": "root@example.com",
                "password": "correct-horse-battery",
                "csrf_token": token,
            },
        )
        assert client.get(PAGE).status_code == 200
        assert client.post(EDIT, data=template_data()).status_code == 400
        assert client.post(EDIT + "/reset").status_code == 400
        assert db.session.scalar(select(NotificationTemplate)) is None


def test_the_outbox_lists_sent_messages_page_by_page_with_utc_times(client, admin, app):
    from datetime import datetime

    from oauthsrv.extensions import db
    from oauthsrv.models.notifications import MailMessage

    sent_at = datetime(2026, 12, 2, 15, 4, 5)
    for number in range(30):
        db.session.add(
            MailMessage(
                event="backend_application_created",
                recipients=f"owner{number}@example.com",
                subject=f"Message {number}",
                body_text="x",
                status="sent",
                sent_at=sent_at,
            )
        )
    db.session.commit()
    first = client.get(PAGE).get_data(as_text=True)
    assert "Sent messages" in first and "owner29@example.com" in first
    assert "owner4@example.com" not in first  # 25 a page, newest first
    assert '<time datetime="2026-12-02T15:04:05Z">2026-12-02 15:04:05 UTC</time>' in first
    assert "30 results · page 1 of 2" in first
    second = client.get(f"{PAGE}?page=2").get_data(as_text=True)
    assert "owner4@example.com" in second and "owner29@example.com" not in second
