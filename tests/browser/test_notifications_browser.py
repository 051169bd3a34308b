"""An administrator edits an email template in Chromium, previews it, and the next email uses it."""

import pytest
from playwright.sync_api import expect

from oauthsrv.services import applications
from tests.conftest import TEST_PASSWORD
from tests.smtp_sink import parts, running_sink, smtp_config

pytestmark = pytest.mark.browser


@pytest.fixture
def smtp():
    yield from running_sink()


@pytest.fixture
def app_config(app_config, smtp):
    return smtp_config(app_config, smtp)


def test_edit_preview_save_and_the_next_email_uses_the_template(page, login, make_user, smtp):
    make_user(email="root@example.com", name="Root Admin", is_admin=True)
    owner = make_user(email="ann@example.com", name="Ann Owner", orgs=("Acme",))
    login("root@example.com", TEST_PASSWORD)

    page.get_by_role("link", name="Notifications").click()
    page.get_by_role("link", name="Edit Back-office user application created (English)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Back-office user application created · English"
    )
    page.get_by_label("Subject").fill("Ready: {{ application_name }} for {{ owner_name }}")
    page.get_by_label("Text body").fill("Client ID {{ client_id }} in {{ organization }}.")

    page.get_by_role("button", name="Preview").click()
    expect(page.locator(".notif-preview-subject")).to_have_text(
        "Ready: Sample integration for Ada Admin"
    )
    expect(page.locator(".notif-preview-text")).to_have_text(
        "Client ID sAmPlEcLiEnTiD0123456789abcdefgh in Acme Corp."
    )
    html_part = page.frame_locator("iframe.notif-preview-html")
    expect(html_part.get_by_text("Sample integration")).to_be_visible()

    # A template that does not render is previewed with its error, and refused on save.
    page.get_by_label("Subject").fill("Ready: {{ secret }}")
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("alert")).to_contain_text("'secret' is undefined")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#subject-errors")).to_contain_text(
        "The template does not render: Subject: 'secret' is undefined"
    )

    page.get_by_label("Subject").fill("Ready: {{ application_name }} for {{ owner_name }}")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Template saved")
    expect(page.get_by_text("Customized")).to_be_visible()

    application, secret = applications.create_application(
        owner, owner.organizations[0], "ERP sync", created_by="command line"
    )
    [message] = smtp.messages
    assert message["Subject"] == "Ready: ERP sync for Ann Owner"
    assert message["To"] == "ann@example.com"
    text, html = parts(message)
    assert text.strip() == f"Client ID {application.client_id} in Acme."
    assert application.client_id in html and secret not in text + html

    # One click back to the shipped template; the email after that is the default again.
    page.get_by_role("button", name="Reset to default").click()
    expect(page.get_by_role("status")).to_contain_text("Template reset to the default")
    applications.create_application(owner, owner.organizations[0], "CRM", created_by="test")
    assert smtp.messages[-1]["Subject"] == 'OAuth application "CRM" added to your account'
