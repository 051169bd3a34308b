"""OAuth Applications in Chromium: add (one and several organizations), copy the secret, never see
it again, filter, edit, deactivate/activate, regenerate the secret and delete."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from oauthsrv.extensions import db
from oauthsrv.models import OAuthApplication
from oauthsrv.services.applications import verify_client_secret

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-battery"
SCREENS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screens"
KEYS_MISSING = (
    "OAuth authorization is not available as encryption keys configuration was not complete. "
    "Please contact your administrator."
)


def screenshot(page, name: str) -> None:
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"{name}.png"), full_page=True)


def stored(name: str) -> OAuthApplication:
    """The application as the database has it now (the server runs in other threads)."""
    db.session.expire_all()
    return db.session.scalar(db.select(OAuthApplication).filter_by(name=name))


def grid_names(page) -> list[str]:
    return page.locator("#apps-grid td.app-name").all_inner_texts()


def open_menu(page, application_name: str, item: str) -> None:
    page.get_by_label(f"More Options for {application_name}").click()
    page.get_by_role("menuitem", name=item).click()


def add_application(page, name: str, organization: str | None = None, active: bool = True):
    """Fill and submit the Add dialog; returns the dialog showing the credentials."""
    page.get_by_role("link", name="Add Application").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Add Application")
    if organization:
        dialog.get_by_label("Organization", exact=True).select_option(label=organization)
    dialog.get_by_label("Application Name").fill(name)
    if not active:
        dialog.get_by_label("Active").uncheck()
    dialog.get_by_role("button", name="Create").click()
    expect(dialog).to_contain_text("Client Secret")
    return dialog


def close_dialog(dialog) -> None:
    dialog.locator(".form-actions").get_by_role("link", name="Close").click()
    expect(dialog).to_have_count(0)


def test_single_org_user_adds_copies_and_never_sees_the_secret_again(page, login, make_user):
    make_user(email="ann@example.com", name="Ann Example", orgs=("Acme",))
    login("ann@example.com", PASSWORD)
    expect(page.get_by_role("heading", name="OAuth Applications")).to_be_visible()
    expect(page.locator("#apps-grid")).to_contain_text("No applications yet.")

    page.get_by_role("link", name="Add Application").click()
    dialog = page.get_by_role("dialog")
    # Asked once the dialog is there (before, the count is 0 anyway); exact, since a scope's
    # description ("…the users of the organization…") labels its checkbox too.
    expect(dialog.get_by_label("Application Name")).to_be_visible()
    expect(dialog.get_by_label("Organization", exact=True)).to_have_count(0)
    expect(dialog.get_by_label("Active")).to_be_checked()
    screenshot(page, "apps-add-dialog")
    dialog.get_by_role("button", name="Create").click()  # empty name: stays open with the error
    expect(dialog.locator("#name-errors")).to_have_text("Application Name is required.")
    dialog.get_by_label("Application Name").fill("Storefront Sync")
    dialog.get_by_role("button", name="Create").click()

    expect(dialog).to_contain_text("shown only now and cannot be viewed again")
    secret = dialog.get_by_label("Client Secret", exact=True).input_value()
    client_id = dialog.get_by_label("Client ID", exact=True).input_value()
    assert len(secret) >= 43 and stored("Storefront Sync").client_id == client_id
    screenshot(page, "apps-secret-dialog")
    dialog.get_by_role("button", name="Copy Client Secret").click()
    expect(dialog.get_by_text("Copied")).to_be_visible()
    screenshot(page, "apps-secret-copied")
    assert page.evaluate("navigator.clipboard.readText()") == secret
    dialog.get_by_role("button", name="Copy Client ID").click()
    assert page.evaluate("navigator.clipboard.readText()") == client_id

    close_dialog(dialog)
    expect(page.locator("#apps-grid")).to_contain_text("Storefront Sync")
    assert secret not in page.content()
    open_menu(page, "Storefront Sync", "Edit")
    expect(page.get_by_role("dialog")).to_contain_text("Edit Application")
    assert secret not in page.content()
    page.get_by_role("dialog").get_by_role("link", name="Cancel").click()
    page.reload()
    expect(page.locator("#apps-grid")).to_contain_text("Storefront Sync")
    assert secret not in page.content()
    assert secret not in page.evaluate("JSON.stringify(Object.assign({}, localStorage))")
    assert verify_client_secret(stored("Storefront Sync"), secret)


def test_multi_org_user_adds_in_either_organization_and_filters(
    page, login, make_user, live_server
):
    make_user(email="max@example.com", name="Max Multi", orgs=("Acme", "Globex"))
    login("max@example.com", PASSWORD)
    page.get_by_role("link", name="Add Application").click()
    organization = page.get_by_role("dialog").get_by_label("Organization", exact=True)
    expect(organization.locator("option:checked")).to_have_text("Acme")  # the current one
    page.get_by_role("dialog").get_by_role("link", name="Cancel").click()

    close_dialog(add_application(page, "Globex Feed", organization="Globex"))
    close_dialog(add_application(page, "Acme Feed", organization="Acme", active=False))
    close_dialog(add_application(page, "Acme Reports"))
    assert stored("Globex Feed").organization.name == "Globex"
    assert stored("Acme Reports").organization.name == "Acme"
    expect(page.locator("#apps-grid tbody tr")).to_have_count(3)
    screenshot(page, "apps-grid")

    filters = page.locator("#apps-filters")
    filters.get_by_label("Name", exact=True).fill("FEED")
    expect(page.locator("#apps-grid td.app-name")).to_have_count(2)
    expect(page).to_have_url(re.compile(r"/admin/profile/applications\?name=FEED$"))
    page.reload()  # the filtered view is a bookmarkable page
    assert sorted(grid_names(page)) == ["Acme Feed", "Globex Feed"]
    expect(filters.get_by_label("Name", exact=True)).to_have_value("FEED")

    filters.get_by_label("Organization").select_option(label="Globex")
    expect(page.locator("#apps-grid td.app-name")).to_have_count(1)
    assert grid_names(page) == ["Globex Feed"]

    page.get_by_role("link", name="Reset").click()
    page.wait_for_url(re.compile(r"/admin/profile/applications$"))
    filters.get_by_label("Status").select_option(label="Inactive")
    expect(page.locator("#apps-grid td.app-name")).to_have_count(1)
    assert grid_names(page) == ["Acme Feed"]
    expect(page).to_have_url(re.compile(r"status=inactive"))

    filters.get_by_label("Status").select_option(label="All statuses")
    expect(page.locator("#apps-grid td.app-name")).to_have_count(3)
    page.get_by_role("link", name="Application Name").click()
    expect(page.locator("#apps-grid th[aria-sort=ascending]")).to_contain_text("Application Name")
    assert grid_names(page) == ["Acme Feed", "Acme Reports", "Globex Feed"]


def test_row_actions_edit_deactivate_activate_regenerate_delete(
    page, login, make_user, make_application
):
    user = make_user(email="ann@example.com", name="Ann Example", orgs=("Acme",))
    application, old_secret = make_application(user, "Nightly Export")
    login("ann@example.com", PASSWORD)
    row = page.locator("#apps-grid tbody tr").first

    open_menu(page, "Nightly Export", "Edit")
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text(application.client_id)
    screenshot(page, "apps-edit-dialog")
    dialog.get_by_label("Application Name").fill("Nightly Export v2")
    dialog.get_by_label("users:read").uncheck()
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_have_count(0)
    expect(row.locator("td.app-name")).to_have_text("Nightly Export v2")
    notice = page.get_by_role("status").filter(has_text="saved")
    expect(notice).to_have_text("Application “Nightly Export v2” saved.")
    assert "users:read" not in stored("Nightly Export v2").scope_list

    open_menu(page, "Nightly Export v2", "Deactivate")
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Every access token issued to it is revoked at once")
    expect(dialog).to_contain_text("Activating it again does not bring those tokens back")
    screenshot(page, "apps-deactivate-dialog")
    dialog.get_by_role("button", name="Deactivate").click()
    expect(row.locator(".badge")).to_have_text("Inactive")
    expect(page.locator("#notices")).to_have_text("Application “Nightly Export v2” deactivated.")
    open_menu(page, "Nightly Export v2", "Activate")
    expect(row.locator(".badge")).to_have_text("Active")
    expect(page.locator("#notices")).to_have_text("Application “Nightly Export v2” activated.")

    open_menu(page, "Nightly Export v2", "Regenerate Secret")
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Regenerate the client secret of “Nightly Export v2”?")
    dialog.get_by_role("button", name="Regenerate Secret").click()
    expect(dialog).to_contain_text("New Client Secret")
    new_secret = dialog.get_by_label("Client Secret", exact=True).input_value()
    assert verify_client_secret(stored("Nightly Export v2"), new_secret)
    assert not verify_client_secret(stored("Nightly Export v2"), old_secret)
    close_dialog(dialog)
    assert new_secret not in page.content()
    expect(page.locator("#notices")).to_contain_text("New secret generated for “Nightly Export v2”")

    open_menu(page, "Nightly Export v2", "Delete")
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Delete the application “Nightly Export v2”?")
    dialog.get_by_role("button", name="Delete").click()
    expect(page.locator("#apps-grid")).to_contain_text("No applications yet.")
    expect(page.locator("#notices")).to_have_text("Application “Nightly Export v2” deleted.")
    assert stored("Nightly Export v2") is None


def test_administrator_manages_a_users_applications_on_their_page(page, login, make_user):
    make_user(email="root@example.com", name="Root Admin", is_admin=True, orgs=("Globex",))
    make_user(email="bob@example.com", name="Bob Builder", orgs=("Globex",))
    login("root@example.com", PASSWORD)
    page.get_by_role("link", name="Users", exact=True).click()
    page.get_by_role("link", name="Bob Builder").click()
    expect(page.get_by_role("heading", name="Bob Builder")).to_be_visible()
    close_dialog(add_application(page, "Bob Integration"))
    expect(page.locator("#apps-grid")).to_contain_text("Bob Integration")
    created = stored("Bob Integration")
    assert created.owner.email == "bob@example.com" and created.organization.name == "Globex"


def test_missing_keys_warning_disables_add(page, login, make_user, make_application, key_paths):
    user = make_user(email="ann@example.com", orgs=("Acme",))
    make_application(user, "Listed Anyway")
    key_paths[0].unlink()
    login("ann@example.com", PASSWORD)
    expect(page.get_by_role("alert")).to_have_text(KEYS_MISSING)
    expect(page.get_by_role("button", name="Add Application")).to_be_disabled()
    page.get_by_label("More Options for Listed Anyway").click()
    expect(page.get_by_role("menuitem", name="Regenerate Secret")).to_be_disabled()
    screenshot(page, "apps-keys-missing")
