"""The Add and Edit dialogs, the row actions, and the same without JavaScript."""

import logging
import re

import pytest
from apps_helpers import BASE, HX, apps_of, shown_secret, text_of
from sqlalchemy import select

from oauthsrv.extensions import db
from oauthsrv.models import OAuthApplication
from oauthsrv.services import applications

# ---- Add Application ----


def test_add_dialog_for_a_single_organization_user_has_no_organization_select(client, ann):
    html = text_of(client.get(f"{BASE}/new", headers=HX))
    assert "Application Name" in html and "Active" in html and ">Create</button>" in html
    assert 'name="organization_id"' not in html
    assert '<input checked id="is_active" name="is_active" type="checkbox"' in html


def test_add_dialog_defaults_to_the_current_organization(client, make_user, auth, make_org):
    make_user(email="multi@example.com", orgs=("Acme", "Globex"))
    auth.login("multi@example.com")
    globex = make_org("Globex")
    client.post("/admin/switch-organization", data={"organization_id": globex.id})
    html = text_of(client.get(f"{BASE}/new", headers=HX))
    assert f'<option selected value="{globex.id}">Globex</option>' in html


def test_create_shows_the_credentials_once_and_stores_only_a_hash(client, ann, caplog):
    caplog.set_level(logging.INFO)
    response = client.post(
        f"{BASE}/new", data={"name": "  Billing  ", "is_active": "y"}, headers=HX
    )
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["HX-Trigger"] == "apps-changed"
    html = text_of(response)
    assert 'hx-history="false"' in html
    assert "shown only now and cannot be viewed again" in html
    secret = shown_secret(html)
    [application] = apps_of(ann)
    assert application.name == "Billing" and application.is_active
    assert application.client_id in html
    assert application.client_secret_hash == applications.hash_client_secret(secret)
    assert applications.verify_client_secret(application, secret)
    # The secret is nowhere else: not in any column, the session cookie, a log line or a later page.
    row = db.session.execute(select(OAuthApplication.__table__).filter_by(id=application.id)).one()
    assert all(secret not in str(value) for value in row)
    assert secret not in (
        client.get_cookie("session").value if client.get_cookie("session") else ""
    )
    assert secret not in caplog.text
    assert (
        f"Ann Example <ann@example.com> created application {application.client_id}" in caplog.text
    )
    for url in ("/admin/profile", BASE, f"{BASE}/{application.id}/edit"):
        assert secret not in text_of(client.get(url)) and secret not in text_of(
            client.get(url, headers=HX)
        )


def test_create_inactive_application(client, ann):
    client.post(f"{BASE}/new", data={"name": "Dormant"}, headers=HX)
    assert [app.is_active for app in apps_of(ann)] == [False]


@pytest.mark.parametrize(
    "name, message",
    [
        ("", "Application Name is required."),
        ("   ", "Application Name is required."),
        ("x" * 256, "Application Name must be at most 255 characters."),
        ("existing", "An application with this name already exists in this organization."),
        ("EXISTING ", "An application with this name already exists in this organization."),
    ],
)
def test_create_validation_errors_rerender_the_dialog(client, ann, make_application, name, message):
    make_application(ann, "Existing")
    response = client.post(f"{BASE}/new", data={"name": name, "is_active": "y"}, headers=HX)
    assert response.status_code == 422
    html = text_of(response)
    assert message in html and 'id="name-errors"' in html
    assert "Add Application" in html and "client-secret" not in html
    assert len(apps_of(ann)) == 1


def test_name_of_255_characters_is_accepted(client, ann):
    assert client.post(f"{BASE}/new", data={"name": "n" * 255}, headers=HX).status_code == 200
    assert len(apps_of(ann)[0].name) == 255


def test_same_name_is_allowed_in_another_organization(client, make_user, auth, make_org):
    user = make_user(email="multi@example.com", orgs=("Acme", "Globex"))
    auth.login("multi@example.com")
    for org in ("Acme", "Globex"):
        data = {"name": "Shared", "organization_id": make_org(org).id, "is_active": "y"}
        assert client.post(f"{BASE}/new", data=data, headers=HX).status_code == 200
    assert sorted(app.organization.name for app in apps_of(user)) == ["Acme", "Globex"]


def test_create_ignores_fields_the_dialog_does_not_offer(client, ann, make_user, make_org):
    other = make_user(email="other@example.com", orgs=("Elsewhere",))
    data = {
        "name": "Sneaky",
        "client_id": "chosen-by-me",
        "client_secret": "chosen-secret",
        "owner_user_id": other.id,
        "organization_id": make_org("Elsewhere").id,  # no select offered: ignored
    }
    assert client.post(f"{BASE}/new", data=data, headers=HX).status_code == 200
    [application] = apps_of(ann)
    assert application.client_id != "chosen-by-me"
    assert not applications.verify_client_secret(application, "chosen-secret")
    assert application.organization.name == "Acme"
    assert apps_of(other) == []


def test_an_organization_the_user_may_not_use_is_refused(client, make_user, auth, make_org):
    user = make_user(email="multi@example.com", orgs=("Acme", "Globex"))
    auth.login("multi@example.com")
    foreign = make_org("Foreign")
    data = {"name": "Elsewhere", "organization_id": foreign.id, "is_active": "y"}
    response = client.post(f"{BASE}/new", data=data, headers=HX)
    assert response.status_code == 422
    assert "Choose one of the organizations offered." in text_of(response)
    assert apps_of(user) == []


def test_global_access_organization_opens_every_active_organization(
    client, make_user, auth, make_org
):
    make_org("HQ", is_global_access=True)
    foreign = make_org("Foreign")
    user = make_user(email="hq@example.com", orgs=("HQ",))
    auth.login("hq@example.com")
    html = text_of(client.get(f"{BASE}/new", headers=HX))
    assert f'value="{foreign.id}">Foreign</option>' in html
    data = {"name": "Remote", "organization_id": foreign.id, "is_active": "y"}
    assert client.post(f"{BASE}/new", data=data, headers=HX).status_code == 200
    assert apps_of(user)[0].organization.name == "Foreign"
    assert "<td>Foreign</td>" in text_of(client.get(BASE, headers=HX))


def test_client_credentials_are_random_and_url_safe(client, ann):
    client.post(f"{BASE}/new", data={"name": "One"}, headers=HX)
    html = text_of(client.post(f"{BASE}/new", data={"name": "Two"}, headers=HX))
    secret = shown_secret(html)
    first, second = apps_of(ann)
    assert first.client_id != second.client_id
    for value, min_chars in ((second.client_id, 22), (secret, 43)):  # 128 and 256 bits
        assert len(value) >= min_chars and re.fullmatch(r"[A-Za-z0-9_-]+", value)


# ---- Edit and the row actions ----


def test_edit_changes_name_status_and_scopes_but_not_organization_or_client_id(
    client, ann, make_application, make_org
):
    application, _ = make_application(ann, "Old Name")
    client_id, generation = application.client_id, application.generation
    url = f"{BASE}/{application.id}/edit"
    form = text_of(client.get(url, headers=HX))
    assert 'value="Old Name"' in form and client_id in form and "Allowed Scopes" in form
    data = {
        "name": "New Name",
        "scopes": ["profile:read"],
        "client_id": "mine",
        "organization_id": make_org("Other").id,
    }
    response = client.post(url, data=data, headers=HX)
    assert response.status_code == 200 and response.headers["HX-Trigger"] == "apps-changed"
    assert text_of(response) == ""
    [application] = apps_of(ann)
    assert application.name == "New Name" and not application.is_active
    assert application.scopes == "profile:read"
    assert application.client_id == client_id and application.organization.name == "Acme"
    assert application.generation > generation  # narrower scopes revoke older tokens


@pytest.mark.parametrize(
    "data, message",
    [
        ({"name": "", "scopes": ["profile:read"]}, "Application Name is required."),
        ({"name": "Taken", "scopes": ["profile:read"]}, "already exists in this organization"),
        ({"name": "Fine"}, "Select at least one scope."),
        ({"name": "Fine", "scopes": ["customer:read"]}, "Choose among the scopes offered."),
    ],
)
def test_edit_validation_errors(client, ann, make_application, data, message):
    make_application(ann, "Taken")
    application, _ = make_application(ann, "Mine")
    response = client.post(f"{BASE}/{application.id}/edit", data=data, headers=HX)
    assert response.status_code == 422 and message in text_of(response)
    assert apps_of(ann)[1].name == "Mine"


def test_deactivate_and_activate(client, ann, make_application):
    application, _ = make_application(ann, "Toggle")
    generation = application.generation
    response = client.post(f"{BASE}/{application.id}/deactivate", headers=HX)
    assert response.status_code == 200 and response.headers["HX-Trigger"] == "apps-changed"
    [application] = apps_of(ann)
    assert not application.is_active and application.generation == generation + 1
    client.post(f"{BASE}/{application.id}/activate", headers=HX)
    assert apps_of(ann)[0].is_active


def test_regenerate_secret_shows_the_new_one_once_and_the_old_stops_working(
    client, ann, make_application
):
    application, old_secret = make_application(ann, "Rotate")
    url = f"{BASE}/{application.id}/regenerate-secret"
    confirm = text_of(client.get(url, headers=HX))
    assert "Regenerate the client secret of" in confirm and "Rotate" in confirm
    assert (
        apps_of(ann)[0].client_secret_hash == application.client_secret_hash
    )  # GET changes nothing
    response = client.post(url, headers=HX)
    assert response.headers["Cache-Control"] == "no-store"
    new_secret = shown_secret(text_of(response))
    [application] = apps_of(ann)
    assert applications.verify_client_secret(application, new_secret)
    assert not applications.verify_client_secret(application, old_secret)
    assert new_secret not in text_of(client.get("/admin/profile"))


def test_delete_confirms_with_the_name_then_deletes(client, ann, make_application):
    application, _ = make_application(ann, "Doomed")
    url = f"{BASE}/{application.id}/delete"
    confirm = text_of(client.get(url, headers=HX))
    assert "Delete the application <strong>“Doomed”</strong>?" in confirm
    assert len(apps_of(ann)) == 1
    response = client.post(url, headers=HX)
    assert response.status_code == 200 and response.headers["HX-Trigger"] == "apps-changed"
    assert apps_of(ann) == []


@pytest.mark.parametrize("action", ["activate", "deactivate", "delete", "regenerate-secret"])
def test_no_get_changes_state(client, ann, make_application, action):
    application, _ = make_application(ann, "Stable")
    before = (application.is_active, application.client_secret_hash)
    response = client.get(f"{BASE}/{application.id}/{action}")
    assert response.status_code in (200, 405)
    [application] = apps_of(ann)
    assert (application.is_active, application.client_secret_hash) == before


def test_changes_are_logged_with_actor_and_client_id(client, ann, make_application, caplog):
    caplog.set_level(logging.INFO)
    application, secret = make_application(ann, "Logged")
    for action in ("deactivate", "activate", "regenerate-secret", "delete"):
        client.post(f"{BASE}/{application.id}/{action}", headers=HX)
    actor = "Ann Example <ann@example.com>"
    for verb in ("deactivated application", "activated application", "regenerated the secret of"):
        assert f"{actor} {verb}" in caplog.text
    assert f"{actor} deleted application {application.client_id}" in caplog.text
    assert secret not in caplog.text


# ---- Without JavaScript ----


def test_without_htmx_dialogs_are_pages_and_changes_redirect(client, ann, make_application):
    page = text_of(client.get(f"{BASE}/new"))
    assert "<html" in page and "Add Application" in page
    created = client.post(f"{BASE}/new", data={"name": "Plain", "is_active": "y"})
    assert created.status_code == 200 and "<html" in text_of(created)
    assert created.headers["Cache-Control"] == "no-store"
    [application] = apps_of(ann)
    response = client.post(f"{BASE}/{application.id}/deactivate")
    assert response.status_code == 303 and response.headers["Location"].endswith(BASE)
    assert "Application “Plain” deactivated." in text_of(client.get(BASE))
