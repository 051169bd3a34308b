"""Administration in Chromium: an administrator creates a user, adds an application for them
from their page, a client gets a token with it (and fails once), and the audit shows both, in
its grid and in the chart's current hour."""

import re

import pytest
import requests
from playwright.sync_api import expect

from oauthsrv.models.base import utcnow
from oauthsrv.services import accounts
from oauthsrv.services.audit import hour_of
from tests.browser.checks import axe_violations, horizontal_overflow
from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.browser


def test_user_application_token_and_audit(page, login, live_server, make_user, make_org):
    make_org("Headquarters", is_global_access=True)
    make_org("Acme")
    make_user(email="root@example.com", name="Root Admin", orgs=("Headquarters",), is_admin=True)
    login("root@example.com", TEST_PASSWORD)

    page.get_by_role("link", name="Users", exact=True).click()
    page.get_by_role("link", name="Create User").click()
    page.get_by_label("Name", exact=True).fill("Nora Newcomer")
    page.get_by_label("Primary Email").fill("nora@example.com")
    page.get_by_label("Acme").check()
    page.get_by_label("Set it now").check()
    page.get_by_label("New password").fill("a-fine-password")
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_role("heading", name="Nora Newcomer")).to_be_visible()
    expect(page.locator("#notices")).to_contain_text("User nora@example.com created.")

    page.get_by_role("link", name="Add Application").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Application Name").fill("Nightly Export")
    dialog.get_by_role("button", name="Create").click()
    expect(dialog).to_contain_text("Client Secret")
    client_id = dialog.get_by_label("Client ID", exact=True).input_value()
    secret = dialog.get_by_label("Client Secret", exact=True).input_value()
    nora = accounts.find_user("nora@example.com")
    assert [app.name for app in accounts.get_user(nora.id).organizations] == ["Acme"]

    token_url = live_server.url + "/oauth2-token"
    grant = {"grant_type": "client_credentials"}
    issued = requests.post(token_url, data=grant, auth=(client_id, secret), timeout=10)
    assert issued.status_code == 200 and issued.json()["access_token"]
    failed = requests.post(token_url, data=grant, auth=(client_id, "wrong-secret"), timeout=10)
    assert failed.status_code == 401

    page.goto("/admin/audit")
    grid = page.locator("#audit-grid")
    issued_row = grid.locator("tr", has_text="Token issued")
    expect(issued_row).to_contain_text(client_id)
    expect(issued_row).to_contain_text("Nightly Export")
    expect(issued_row).to_contain_text("nora@example.com")
    failed_row = grid.locator("tr", has_text="Client authentication failed")
    expect(failed_row).to_contain_text("wrong secret")
    expect(page.locator("#chart-summary")).to_contain_text(
        "1 tokens issued and 1 failed client authentications"
    )
    hour = hour_of(utcnow())
    bar = page.locator(f'a.chart-hour[aria-label^="{hour:%a %d %b %H}:00"]')
    expect(bar).to_have_attribute("aria-label", re.compile("1 issued, 1 failed$"))
    assert axe_violations(page) == []
    assert horizontal_overflow(page) <= 0

    bar.click()  # the hour's link: the grid filtered to that hour
    page.wait_for_url(re.compile(rf"from={hour:%Y-%m-%dT%H}:00&to="))
    expect(page.locator("#filter-from")).to_have_value(f"{hour:%Y-%m-%dT%H}:00")
    expect(grid.locator("tr", has_text="Token issued")).to_have_count(1)
    expect(grid.locator("tr", has_text="Client authentication failed")).to_have_count(1)

    page.get_by_label("Event", exact=True).select_option(label="Client authentication failed")
    expect(grid.locator("tr", has_text="Token issued")).to_have_count(0)
    assert "event=client_auth_failed" in page.url
