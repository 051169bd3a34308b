"""Playwright driving Debian's Chromium against a served app."""

import pytest

from tests.browser import chromium
from tests.browser.checks import ConsoleErrors


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium.EXECUTABLE, args=chromium.ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def app_config(app_config):
    # Browser flows go through the real forms, so CSRF is on as in production.
    return {**app_config, "WTF_CSRF_ENABLED": True}


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 860})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()
    console = ConsoleErrors(page)
    yield page
    context.close()
    # Any console error (a CSP violation, an uncaught exception) fails the test that caused it.
    assert console.errors == [], console.errors


@pytest.fixture
def login(page):
    def login_as(email, password):
        page.goto("/admin/login")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url("**/admin/profile")

    return login_as
