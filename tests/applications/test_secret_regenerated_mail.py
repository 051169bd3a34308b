"""The owner's email when a secret is regenerated, over a real SMTP server (aiosmtpd): the
overlap's end if there is one, the owner's locale, the editable rule and template."""

import pytest
from apps_helpers import BASE, HX

from oauthsrv.notifications import settings
from oauthsrv.notifications.rendering import EmailTemplate
from oauthsrv.services import accounts, applications
from tests.smtp_sink import parts, running_sink, smtp_config


@pytest.fixture
def smtp():
    yield from running_sink()


@pytest.fixture
def app_config(app_config, smtp):
    return smtp_config(app_config, smtp)


@pytest.fixture
def created(smtp, make_user, make_application):
    """An application whose creation mail has been sent and forgotten."""
    owner = make_user(email="ann@example.com", name="Ann Owner", orgs=("Acme",))
    application, secret = make_application(owner, name="ERP sync")
    smtp.envelopes.clear()
    return application, secret


def test_regenerating_with_an_overlap_mails_the_owner_its_end(smtp, created, clock):
    application, old_secret = created
    new_secret = applications.regenerate_secret(
        application, actor="Bob Boss <bob@example.com>", keep_old="24h"
    )
    [message] = smtp.messages
    assert message["To"] == "ann@example.com"
    assert message["Subject"] == 'New client secret for OAuth application "ERP sync"'
    until = applications.previous_secret_valid_until(application)
    for part in parts(message):
        assert application.client_id in part and "Bob Boss" in part
        assert f"keeps working until {until:%Y-%m-%d %H:%M} UTC" in part
        assert f"{clock.now():%Y-%m-%d %H:%M} UTC" in part
        assert "https://oauth.example.test/admin/profile" in part
    raw = smtp.envelopes[0].content.decode()
    assert old_secret not in raw and new_secret not in raw


def test_stopping_now_says_so(smtp, created):
    application, _ = created
    applications.regenerate_secret(application, actor="command line")
    text, html = parts(smtp.messages[0])
    assert "stopped working at once" in text and "stopped working at once" in html
    assert "keeps working until" not in text


def test_the_dialog_sends_it_too_in_the_owners_locale(
    smtp, client, auth, make_user, make_application
):
    owner = make_user(email="dora@example.com", name="Dora", orgs=("Acme",), locale="de")
    application, _ = make_application(owner, name="Lager")
    smtp.envelopes.clear()
    auth.login("dora@example.com")
    client.post(f"{BASE}/{application.id}/regenerate-secret", data={"keep_old": "1h"}, headers=HX)
    [message] = smtp.messages
    assert message["Subject"] == "Neues Client-Secret für die OAuth-Anwendung „Lager“"
    assert "funktioniert noch bis" in parts(message)[0]


def test_a_customer_users_application_gets_the_customer_template(smtp, make_org, make_application):
    make_org("Acme")
    customer = accounts.create_customer_user("cody@example.com", "Cody", "Acme", locale="fr")
    application, _ = make_application(customer, name="Boutique")
    smtp.envelopes.clear()
    applications.regenerate_secret(application, actor="test", keep_old="7d")
    [message] = smtp.messages
    assert message["Subject"] == "Nouveau secret client pour l’application OAuth « Boutique »"
    text, _ = parts(message)
    assert "reste valable jusqu’au" in text and "Mon utilisateur" not in text


def test_the_rule_and_an_edited_template_apply(smtp, created):
    application, _ = created
    settings.save_rule(
        "backend_secret_regenerated",
        is_enabled=True,
        extra_recipients="security@example.com",
        locale=None,
        actor="test",
    )
    settings.save_template(
        "backend_secret_regenerated",
        "en",
        EmailTemplate(
            "Rotated: {{ application_name }}",
            "Until {{ previous_secret_valid_until or 'now' }}",
            "<p>Until {{ previous_secret_valid_until or 'now' }}</p>",
        ),
        actor="test",
    )
    applications.regenerate_secret(application, actor="test")
    [message] = smtp.messages
    assert message["Subject"] == "Rotated: ERP sync"
    [recipients] = smtp.recipients()
    assert sorted(recipients) == ["ann@example.com", "security@example.com"]
    assert parts(message)[0].strip() == "Until now"


def test_a_disabled_rule_sends_nothing(smtp, created):
    application, _ = created
    settings.save_rule(
        "backend_secret_regenerated",
        is_enabled=False,
        extra_recipients="",
        locale=None,
        actor="test",
    )
    applications.regenerate_secret(application, actor="test", keep_old="1h")
    assert smtp.envelopes == []


def test_the_settings_page_offers_both_new_events(client, make_user, auth):
    make_user(email="root@example.com", orgs=("Acme",), is_admin=True)
    auth.login("root@example.com")
    page = client.get("/admin/system/notifications").get_data(as_text=True)
    assert "application secret regenerated" in page
    preview = client.get("/admin/system/notifications/templates/backend_secret_regenerated/en")
    assert preview.status_code == 200 and "previous_secret_valid_until" in preview.get_data(
        as_text=True
    )
