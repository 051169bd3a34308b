"""Client credentials in Chromium: regenerate with an overlap, revoke the previous secret, and
switch an application to private key JWT in the Edit dialog and back. Screenshots of the changed
dialogs at 1366×900 and 390×844 go to /tmp/shots-cred/."""

from pathlib import Path

import pytest
from joserfc.jwk import ECKey
from playwright.sync_api import expect

from oauthsrv.extensions import db
from oauthsrv.models import OAuthApplication
from oauthsrv.services import applications

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-battery"
SHOTS = Path("/tmp/shots-cred")
VIEWPORTS = {"desktop": (1366, 900), "phone": (390, 844)}


def shoot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)


def expect_closed(dialog) -> None:
    """The dialog closes; if it stays (a refusal), the failure shows what it says."""
    try:
        expect(dialog).to_have_count(0)
    except AssertionError as failure:
        raise AssertionError(f"the dialog stayed open: {dialog.inner_text()}") from failure


def stored(name: str) -> OAuthApplication:
    db.session.expire_all()
    return db.session.scalar(db.select(OAuthApplication).filter_by(name=name))


def open_menu(page, application_name: str, item: str) -> None:
    page.get_by_label(f"More Options for {application_name}").click()
    page.get_by_role("menuitem", name=item).click()


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_switch_to_private_key_jwt_in_edit_and_back(
    page, login, make_user, make_application, viewport
):
    page.set_viewport_size(dict(zip(("width", "height"), VIEWPORTS[viewport], strict=True)))
    user = make_user(email="ann@example.com", name="Ann Example", orgs=("Acme",))
    make_application(user, name="Nightly Export")
    pem = ECKey.generate_key("P-256").as_pem(private=False).decode()
    login("ann@example.com", PASSWORD)

    open_menu(page, "Nightly Export", "Edit")
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_label("Client secret")).to_be_checked()
    # The key fields show only once Private key JWT is chosen.
    expect(dialog.get_by_label("Public key (PEM, JWK or JWKS)")).to_be_hidden()
    dialog.get_by_label("Private key JWT").check()
    expect(dialog.get_by_label("Public key (PEM, JWK or JWKS)")).to_be_visible()
    dialog.get_by_role("button", name="Save").click()  # neither key nor URL: stays open
    expect(dialog.locator("#public_keys-errors")).to_have_text(
        "Give either a public key or a JWKS URL."
    )
    # htmx settles the re-rendered dialog's attributes a moment after the swap: the choice
    # must read Private key JWT again before the key goes in.
    expect(dialog.get_by_label("Private key JWT")).to_be_checked()
    keys_field = dialog.get_by_label("Public key (PEM, JWK or JWKS)")
    keys_field.fill(pem)
    keys_field.scroll_into_view_if_needed()
    shoot(page, f"edit-private-key-jwt-{viewport}")
    expect(keys_field).to_have_value(pem)
    dialog.get_by_role("button", name="Save").click()
    expect_closed(dialog)
    expect(page.locator("#apps-grid")).to_contain_text("Private key JWT")
    assert stored("Nightly Export").client_auth_method == "private_key_jwt"
    shoot(page, f"grid-private-key-jwt-{viewport}")

    open_menu(page, "Nightly Export", "Edit")
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_label("Private key JWT")).to_be_checked()
    assert '"kty": "EC"' in dialog.get_by_label("Public key (PEM, JWK or JWKS)").input_value()
    dialog.get_by_label("Client secret").check()
    expect(dialog.get_by_label("Public key (PEM, JWK or JWKS)")).to_be_hidden()
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_have_count(0)
    expect(page.locator("#apps-grid")).not_to_contain_text("Private key JWT")
    application = stored("Nightly Export")
    assert application.client_auth_method == "client_secret" and application.client_jwks is None


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_regenerate_with_an_overlap_then_revoke_the_previous_secret(
    page, login, make_user, make_application, viewport
):
    page.set_viewport_size(dict(zip(("width", "height"), VIEWPORTS[viewport], strict=True)))
    user = make_user(email="ann@example.com", name="Ann Example", orgs=("Acme",))
    _, old_secret = make_application(user, name="Billing Sync")
    login("ann@example.com", PASSWORD)

    open_menu(page, "Billing Sync", "Regenerate Secret")
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_label("stops working now")).to_be_checked()
    dialog.get_by_label("keeps working for 24 hours").check()
    shoot(page, f"regenerate-overlap-{viewport}")
    dialog.get_by_role("button", name="Regenerate Secret").click()
    expect(dialog).to_contain_text("Client Secret")
    new_secret = dialog.locator("#client-secret").input_value()
    dialog.locator(".form-actions").get_by_role("link", name="Close").click()
    expect(dialog).to_have_count(0)

    grid = page.locator("#apps-grid")
    expect(grid).to_contain_text("Previous secret valid until")
    shoot(page, f"grid-previous-secret-{viewport}")
    application = stored("Billing Sync")
    assert applications.matching_secret(application, old_secret) == "previous"
    assert applications.matching_secret(application, new_secret) == "current"

    open_menu(page, "Billing Sync", "Revoke Previous Secret")
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Stop it now?")
    shoot(page, f"revoke-previous-{viewport}")
    dialog.get_by_role("button", name="Revoke Previous Secret").click()
    expect(dialog).to_have_count(0)
    expect(grid).not_to_contain_text("Previous secret valid until")
    assert applications.matching_secret(stored("Billing Sync"), old_secret) is None
