"""Every page and dialog at a phone size (360×740) and a desktop size (1366×900): nothing wider
than the screen, every control reachable, no WCAG 2.1 A/AA violation (axe-core), focus handled by
the dialogs, no console error (the `page` fixture's rule applies to the page made here too)."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from oauthsrv.services import accounts, audit
from tests.browser.checks import (
    ConsoleErrors,
    axe_violations,
    horizontal_overflow,
    overflowing_elements,
)
from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.browser
SCREENS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screens"
SIZES = {
    "mobile": {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True},
    "desktop": {"viewport": {"width": 1366, "height": 900}},
}
LONG_NAME = "Nightly warehouse export for the Acme Corporation International storefront"


@pytest.fixture(params=list(SIZES))
def size(request):
    return request.param


@pytest.fixture
def sized_page(browser, live_server, size):
    context = browser.new_context(base_url=live_server.url, **SIZES[size])
    page = context.new_page()
    console = ConsoleErrors(page)
    yield page
    context.close()
    assert console.errors == [], console.errors


@pytest.fixture
def world(make_user, make_application):
    """An administrator in two organizations with an application, a colleague, a customer."""
    admin = make_user(
        email="root@example.com",
        name="Ada Administrator",
        orgs=("Acme Corporation International", "Globex"),
        is_admin=True,
    )
    make_user(email="bob@example.com", name="Bob Builder", orgs=("Globex",))
    application, _ = make_application(admin, LONG_NAME)
    customer = accounts.create_customer_user(
        "shopper@example.com", "Sam Shopper", "Globex", locale="en"
    )
    # The audit's chart and grid have something to show: tokens issued and a failure.
    fields = audit.application_fields(application)
    for _ in range(3):
        audit.record(audit.TOKEN_ISSUED, ip="203.0.113.7", **fields)
    audit.record(audit.AUTH_FAILED, audit.FAILURE, reason=audit.WRONG_SECRET, **fields)
    return {"admin": admin, "application": application, "customer": customer}


def check(page, size: str, name: str) -> None:
    """The page fits the screen, axe finds nothing, and a screenshot is kept to look at."""
    page.wait_for_load_state("networkidle")
    overflow = horizontal_overflow(page)
    assert overflow <= 0, f"{name}: {overflow}px too wide: {overflowing_elements(page)}"
    assert axe_violations(page) == [], name
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"{size}-{name}.png"), full_page=True)


def log_in(page, email="root@example.com"):
    page.goto("/admin/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/profile")


def open_row_menu(page, size, item):
    page.get_by_label(f"More Options for {LONG_NAME}").click()
    page.get_by_role("menuitem", name=item).click()


def check_dialog(page, size, name):
    """The dialog is on screen, holds the focus, and its × is what a tap there hits."""
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    box = dialog.bounding_box()
    width = SIZES[size]["viewport"]["width"]
    assert box["x"] >= 0 and box["x"] + box["width"] <= width, f"{name} is off-screen"
    assert dialog.evaluate("d => d.contains(document.activeElement)"), f"{name}: focus outside"
    close = dialog.get_by_label("Close", exact=True)
    hit = close.evaluate(
        "c => { const r = c.getBoundingClientRect();"
        " return document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2) === c; }"
    )
    assert hit, f"{name}: a tap on × does not reach it"
    check(page, size, name)
    return dialog


def test_login_page(sized_page, size, world):
    sized_page.goto("/admin/login")
    check(sized_page, size, "login")
    sized_page.get_by_role("button", name="Log in").click()  # empty form: the errors shown
    check(sized_page, size, "login-errors")


def test_my_user_top_bar_and_every_dialog(sized_page, size, world):
    page = sized_page
    log_in(page)
    check(page, size, "my-user")
    menu = page.get_by_role("button", name="Menu")
    if size == "mobile":
        expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
        menu.click()
        expect(menu).to_have_attribute("aria-expanded", "true")
        expect(page.get_by_role("link", name="Customer Users")).to_be_visible()
        check(page, size, "my-user-menu-open")
        menu.click()
    else:
        expect(menu).to_be_hidden()
        expect(page.get_by_role("link", name="Customer Users")).to_be_visible()

    # Add Application: focus moves in, a 422 re-render, Escape closes, focus comes back.
    add = page.get_by_role("link", name="Add Application")
    add.click()
    dialog = check_dialog(page, size, "dialog-add")
    expect(dialog.get_by_label("Application Name")).to_be_focused()
    expect(dialog.get_by_label("users:read")).to_be_checked()
    page.keyboard.press("Shift+Tab")  # from the first field backwards: stays in the dialog
    assert dialog.evaluate("d => d.contains(document.activeElement)")
    dialog.get_by_label("Application Name").fill("")
    dialog.get_by_role("button", name="Create").click()
    expect(dialog.locator("#name-errors")).to_be_visible()
    check_dialog(page, size, "dialog-add-errors")
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(add).to_be_focused()

    add.click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Application Name").fill("Phone sync")
    dialog.get_by_role("button", name="Create").click()
    expect(dialog).to_contain_text("Client Secret")
    check_dialog(page, size, "dialog-secret")
    dialog.locator(".form-actions").get_by_role("link", name="Close").click()
    expect(page.get_by_role("status").filter(has_text="created")).to_have_text(
        "Application “Phone sync” created."
    )
    page.wait_for_load_state("networkidle")  # closing refreshes the grid: let it land first

    for item, name in [
        ("Edit", "dialog-edit"),
        ("Deactivate", "dialog-deactivate"),
        ("Regenerate Secret", "dialog-regenerate"),
        ("Delete", "dialog-delete"),
    ]:
        open_row_menu(page, size, item)
        check_dialog(page, size, name)
        page.get_by_role("dialog").get_by_label("Close", exact=True).click()
        expect(page.get_by_role("dialog")).to_have_count(0)
        # Back to the row's More Options button, the dialog's opener.
        expect(page.get_by_label(f"More Options for {LONG_NAME}")).to_be_focused()

    open_row_menu(page, size, "Deactivate")
    page.get_by_role("dialog").get_by_role("button", name="Deactivate").click()
    expect(page.locator("#notices")).to_have_text(f"Application “{LONG_NAME}” deactivated.")
    check(page, size, "my-user-notice")


@pytest.mark.parametrize(
    "name, path",
    [
        ("users", "/admin/users"),
        ("user", "/admin/users/{bob}"),
        ("user-new", "/admin/users/new"),
        ("user-edit", "/admin/users/{bob}/edit"),
        ("user-reset-password", "/admin/users/{bob}/reset-password"),
        ("organizations", "/admin/organizations"),
        ("organization-new", "/admin/organizations/new"),
        ("organization-deactivate", "/admin/organizations/{globex}/deactivate"),
        ("oauth-applications", "/admin/oauth-applications"),
        ("audit", "/admin/audit"),
        ("customer-users", "/admin/customer-users"),
        ("customer-user", "/admin/customer-users/{customer}"),
        ("customer-user-new", "/admin/customer-users/new"),
        ("notifications", "/admin/system/notifications"),
        ("template-edit", "/admin/system/notifications/templates/backend_application_created/en"),
        ("customer-user-edit", "/admin/customer-users/{customer}/edit"),
        ("not-found", "/admin/no-such-page"),
        ("all-applications", "/admin/oauth-applications"),
        ("organizations", "/admin/organizations"),
        ("audit", "/admin/audit"),
    ],
)
def test_admin_pages(sized_page, size, world, name, path):
    ids = {
        "bob": accounts.find_user("bob@example.com").id,
        "customer": world["customer"].id,
        "globex": accounts.find_organization("Globex").id,
    }
    log_in(sized_page)
    sized_page.goto(path.format(**ids))
    check(sized_page, size, f"admin-{name}")


def test_an_expired_session_says_so_and_comes_back(sized_page, size, world):
    page = sized_page
    log_in(page)
    page.goto("/admin/customer-users?status=active")
    names = [cookie["name"] for cookie in page.context.cookies()]
    assert "oauthsrv_signed_in" in names, names
    page.context.clear_cookies(name="session")  # what an expired session leaves
    page.reload()
    page.wait_for_url(re.compile(r"/admin/login\?next="))
    expect(page.get_by_role("status")).to_have_text(
        "Your session has expired. Please log in again."
    )
    check(page, size, "login-expired")
    page.get_by_label("Email").fill("root@example.com")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/admin/customer-users\?status=active$"))


@pytest.mark.parametrize(
    "path",
    [
        "/admin/users",
        "/admin/customer-users",
        "/admin/system/notifications",
        "/admin/organizations",
        "/admin/audit",
    ],
)
def test_lists_become_cards_on_a_phone(sized_page, size, world, path):
    # Every value readable without scrolling sideways, each under its column's name.
    page = sized_page
    log_in(page)
    page.goto(path)
    cells = page.locator("table.grid-cards tbody td")
    expect(cells.first).to_be_visible()
    width = SIZES[size]["viewport"]["width"]
    rights = cells.evaluate_all("cells => cells.map(c => c.getBoundingClientRect().right)")
    assert max(rights) <= width, rights
    first = cells.first
    label = first.evaluate("c => getComputedStyle(c, '::before').content")
    assert label == (f'"{first.get_attribute("data-label")}"' if size == "mobile" else "none")


def test_an_empty_grid_says_only_that_on_a_phone(sized_page, size, world):
    # The card labels ("Application Name") are for values, not for the empty grid's sentence.
    page = sized_page
    log_in(page)
    page.goto(f"/admin/customer-users/{world['customer'].id}")
    empty = page.locator("#apps-grid td.empty")
    expect(empty).to_have_text("No applications yet.")
    assert empty.evaluate("c => getComputedStyle(c, '::before').content") == "none"
