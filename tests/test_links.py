"""Where the links in emails and previews point, and what the customer email leads to."""

import pytest

from oauthsrv.notifications.events import (
    EVENTS,
    FRONTEND_APPLICATION_CREATED,
    public_base_url,
    sample_context,
)
from oauthsrv.notifications.rendering import render, shipped_template


@pytest.mark.parametrize(
    "url, expected",
    [
        ("http://127.0.0.1:8000/", "http://127.0.0.1:8000"),  # PORT=8000 make run
        ("http://localhost:5123/", "http://localhost:5123"),
        ("http://evil.example/", "http://127.0.0.1:5000"),  # a foreign Host is never trusted
    ],
)
def test_without_configuration_links_follow_the_dev_server(app, url, expected):
    app.config.update(BASE_URL="", OAUTH_ISSUER="")
    with app.test_request_context("/", base_url=url):
        assert public_base_url() == expected


def test_links_derive_from_the_issuer_and_base_url_wins(app):
    app.config.update(BASE_URL="", OAUTH_ISSUER="https://oauth.example.com/")
    with app.test_request_context("/", base_url="http://127.0.0.1:8000"):
        assert public_base_url() == "https://oauth.example.com"
        app.config["BASE_URL"] = "https://links.example.com"
        assert public_base_url() == "https://links.example.com"


def test_the_template_preview_links_to_the_port_it_is_served_on(client, make_user, app):
    app.config.update(BASE_URL="", OAUTH_ISSUER="")
    make_user(email="root@example.com", is_admin=True)
    login = {"email": "root@example.com", "password": "correct-horse-battery"}
    client.post("/admin/login", data=login, base_url="http://127.0.0.1:8000")
    template = shipped_template("backend_application_created", "en")
    page = client.post(
        "/admin/system/notifications/templates/backend_application_created/en/preview",
        data=vars(template),
        base_url="http://127.0.0.1:8000",
    ).get_data(as_text=True)
    assert "http://127.0.0.1:8000/admin/profile" in page
    assert "127.0.0.1:5000" not in page


def customer_email(app, **config):
    app.config.update(BASE_URL="https://oauth.example.com", **config)
    event = EVENTS[FRONTEND_APPLICATION_CREATED]
    return render(shipped_template(event.key, "en"), sample_context(event))


def test_the_customer_email_explains_how_to_connect(app):
    email = customer_email(app, STOREFRONT_URL="")
    # The main button no longer leads to the bare API root; the text says how to use the token URL.
    assert 'href="https://oauth.example.com/api/"' not in email.body_html
    assert "grant_type=client_credentials https://oauth.example.com/oauth2-token" in email.body_html
    assert "Authorization: Bearer" in email.body_text and "Storefront:" not in email.body_text


def test_the_customer_email_button_leads_to_the_storefront(app):
    email = customer_email(app, STOREFRONT_URL="https://shop.example.com")
    assert (
        'href="https://shop.example.com"' in email.body_html
        and "Go to the storefront" in email.body_html
    )
    assert "Storefront: https://shop.example.com" in email.body_text
