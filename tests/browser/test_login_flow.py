"""A person logs in, finds My User in the user menu, switches organization and logs out."""

from pathlib import Path

import pytest

from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.browser
SCREENS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screens"


def test_login_user_menu_switch_and_logout(page, make_user):
    make_user(email="ann@example.com", name="Ann Example", orgs=("Alpha", "Beta"))
    page.goto("/admin/login")
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / "login.png"))
    page.get_by_label("Email").fill("ann@example.com")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Log in").click()
    assert page.get_by_role("alert").inner_text() == "Invalid email or password."

    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/profile")
    page.get_by_role("button", name="Log in").wait_for(state="detached")
    page.screenshot(path=str(SCREENS / "my-user.png"), full_page=True)

    page.locator(".user-menu summary").click()
    page.get_by_role("menuitem", name="My User").click()
    page.wait_for_url("**/admin/profile")
    assert page.get_by_role("heading", name="Ann Example").is_visible()

    # The switcher submits itself (app.js) and the choice survives the reload.
    page.get_by_label("Current organization").select_option(label="Beta")
    page.wait_for_load_state("networkidle")
    assert (
        page.get_by_label("Current organization").evaluate("s => s.selectedOptions[0].text")
        == "Beta"
    )

    page.locator(".user-menu summary").click()
    page.get_by_role("menuitem", name="Logout").click()
    page.wait_for_url("**/admin/login")
    page.goto("/admin/profile")
    assert "/admin/login" in page.url


def test_pages_run_without_csp_violations(page, make_user):
    make_user(email="ann@example.com", orgs=("Alpha", "Beta"))
    problems = []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.goto("/admin/login")
    page.get_by_label("Email").fill("ann@example.com")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/profile")
    assert page.evaluate("typeof htmx") == "object"
    assert problems == []
