"""The OAuth Applications section: grid, dialogs, row actions, access rules, secrets and CSRF."""

import json
import logging
import re

import pytest
from sqlalchemy import select

from oauthsrv.extensions import db
from oauthsrv.models import OAuthApplication
from oauthsrv.services import applications
from oauthsrv.services.accounts import remove_user_from_organization

HX = {"HX-Request": "true"}
BASE = "/admin/profile/applications"
KEYS_MISSING = (
    "OAuth authorization is not available as encryption keys configuration was not complete. "
    "Please contact your administrator."
)


@pytest.fixture
def ann(make_user, auth):
    """A single-organization user, logged in."""
    user = make_user(email="ann@example.com", name="Ann Example", orgs=("Acme",))
    auth.login("ann@example.com")
    return user


def triggers(response) -> dict:
    """The htmx events a response asks for (HX-Trigger as JSON)."""
    return json.loads(response.headers["HX-Trigger"])


def text_of(response) -> str:
    return response.get_data(as_text=True)


def apps_of(user) -> list[OAuthApplication]:
    db.session.expire_all()
    query = select(OAuthApplication).filter_by(owner_user_id=user.id).order_by(OAuthApplication.id)
    return list(db.session.scalars(query))


def shown_secret(html: str) -> str:
    return re.search(r'id="client-secret" type="text" value="([^"]+)"', html).group(1)


# ---- The section and the grid ----


def test_my_user_page_shows_the_section_with_the_users_applications(client, ann, make_application):
    make_application(ann, "Warehouse Sync")
    html = text_of(client.get("/admin/profile"))
    assert "OAuth Applications" in html
    assert "Add Application" in html
    assert "Warehouse Sync" in html
    for column in ("Application Name", "Client ID", "Status", "Last Used", "Created"):
        assert column in html
    # A single-organization user sees neither an Organization column nor its filter.
    assert ">Organization</a>" not in html and 'name="organization"' not in html


def test_organization_column_and_filter_for_users_in_several_organizations(
    client, make_user, auth, make_org, make_application
):
    user = make_user(email="multi@example.com", orgs=("Acme", "Globex"))
    auth.login("multi@example.com")
    make_application(user, "In Globex", organization=make_org("Globex"))
    html = text_of(client.get("/admin/profile"))
    assert ">Organization</a>" in html and 'name="organization"' in html
    assert "<td>Globex</td>" in html


def test_grid_fragment_for_htmx_and_whole_page_otherwise(client, ann, make_application):
    make_application(ann, "Fragmented")
    fragment = client.get(BASE, headers=HX)
    assert fragment.status_code == 200
    assert "HX-Request" in fragment.headers["Vary"]
    assert "<html" not in text_of(fragment) and 'id="apps-grid"' in text_of(fragment)
    assert "Fragmented" in text_of(fragment)
    page = client.get(BASE + "?name=frag")
    assert "<html" in text_of(page) and "Fragmented" in text_of(page)
    # htmx restoring history after a cache miss wants the whole page, not the fragment.
    restore = client.get(BASE, headers={**HX, "HX-History-Restore-Request": "true"})
    assert "<html" in text_of(restore)


def test_last_used_is_empty_until_a_token_is_issued(client, ann, make_application):
    from oauthsrv.models.base import utcnow

    used, _ = make_application(ann, "Used")
    make_application(ann, "Never Used")
    used.last_used_at = utcnow().replace(year=2030, month=1, day=2, hour=3, minute=4)
    db.session.commit()
    html = text_of(client.get(BASE, headers=HX))
    rows = dict(
        re.findall(
            r'class="app-name">([^<]+)</td>.*?</td>\s*<td>.*?</td>\s*<td>(.*?)</td>', html, re.S
        )
    )
    assert "2030-01-02 03:04" in rows["Used"]
    assert rows["Never Used"].strip() == ""


@pytest.mark.parametrize(
    "query, expected",
    [
        ("", ["alpha-one", "Beta", "ALPHA two", "gamma"]),
        ("?name=alpha", ["alpha-one", "ALPHA two"]),
        ("?name=%20ALPHA%20", ["alpha-one", "ALPHA two"]),
        ("?name=%25", []),  # a typed % matches a literal %, not everything
        ("?status=inactive", ["gamma"]),
        ("?status=active&name=a", ["alpha-one", "Beta", "ALPHA two"]),
        ("?status=bogus", ["alpha-one", "Beta", "ALPHA two", "gamma"]),
    ],
)
def test_filters_by_name_and_status(client, ann, make_application, query, expected):
    for name in ("gamma", "ALPHA two", "Beta", "alpha-one"):
        make_application(ann, name, is_active=name != "gamma")
    html = text_of(
        client.get(
            BASE + query + ("&" if "?" in query else "?") + "sort=name&direction=asc", headers=HX
        )
    )
    names = re.findall(r'class="app-name">([^<]+)</td>', html)
    assert sorted(names, key=str.lower) == sorted(expected, key=str.lower)
    if not expected:
        assert "No applications match these filters." in html


def test_filter_by_organization(client, make_user, auth, make_org, make_application):
    user = make_user(email="multi@example.com", orgs=("Acme", "Globex"))
    auth.login("multi@example.com")
    globex = make_org("Globex")
    make_application(user, "Acme App", organization=make_org("Acme"))
    make_application(user, "Globex App", organization=globex)
    html = text_of(client.get(f"{BASE}?organization={globex.id}", headers=HX))
    assert re.findall(r'class="app-name">([^<]+)</td>', html) == ["Globex App"]


def test_sorting_by_name_both_ways(client, ann, make_application):
    for name in ("b", "C", "a"):
        make_application(ann, name)
    up = text_of(client.get(f"{BASE}?sort=name&direction=asc", headers=HX))
    down = text_of(client.get(f"{BASE}?sort=name&direction=desc", headers=HX))
    assert re.findall(r'class="app-name">([^<]+)</td>', up) == ["a", "b", "C"]
    assert re.findall(r'class="app-name">([^<]+)</td>', down) == ["C", "b", "a"]
    assert 'aria-sort="ascending"' in up


def test_pagination_shows_25_per_page_and_clamps_past_the_end(client, ann, app):
    seed_applications(ann, 30)
    first = text_of(client.get(BASE, headers=HX))
    assert len(re.findall(r'class="app-name"', first)) == 25
    assert "1–25 of 30" in first
    last = text_of(client.get(f"{BASE}?page=2", headers=HX))
    assert len(re.findall(r'class="app-name"', last)) == 5 and "26–30 of 30" in last
    beyond = text_of(client.get(f"{BASE}?page=99", headers=HX))
    assert "26–30 of 30" in beyond
    assert "1–25 of 30" in text_of(client.get(f"{BASE}?page=abc", headers=HX))


def seed_applications(user, count: int) -> None:
    """Many applications at once (the service would hash and notify once per row)."""
    for number in range(count):
        db.session.add(
            OAuthApplication(
                name=f"App {number:03d}",
                client_id=f"client-{user.id}-{number}",
                client_secret_hash="hmac-sha256$x",
                owner_user_id=user.id,
                organization_id=user.organizations[0].id,
            )
        )
    db.session.commit()


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
    assert triggers(response) == {
        "apps-changed": "",
        "show-notice": "Application “Billing” created.",
    }
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
    assert response.status_code == 200 and triggers(response)["apps-changed"] == ""
    assert triggers(response)["show-notice"] == "Application “New Name” saved."
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
    confirm = text_of(client.get(f"{BASE}/{application.id}/deactivate", headers=HX))
    assert "Deactivate the application <strong>“Toggle”</strong>?" in confirm
    assert "Every access token issued to it is revoked at once" in confirm
    assert "Activating it again does not bring those tokens back" in confirm
    assert apps_of(ann)[0].is_active  # the GET only asks
    response = client.post(f"{BASE}/{application.id}/deactivate", headers=HX)
    assert response.status_code == 200 and triggers(response)["apps-changed"] == ""
    assert triggers(response)["show-notice"] == "Application “Toggle” deactivated."
    [application] = apps_of(ann)
    assert not application.is_active and application.generation == generation + 1
    response = client.post(f"{BASE}/{application.id}/activate", headers=HX)
    assert triggers(response)["show-notice"] == "Application “Toggle” activated."
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
    assert triggers(response)["show-notice"].startswith("New secret generated for “Rotate”")
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
    assert response.status_code == 200 and triggers(response)["apps-changed"] == ""
    assert triggers(response)["show-notice"] == "Application “Doomed” deleted."
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
    page = text_of(client.get(BASE))
    assert '<div id="notices" class="notices" role="status"' in page
    assert "Application “Plain” deactivated." in page


# ---- Who may do what ----


@pytest.mark.parametrize(
    "method, action",
    [
        ("get", "edit"),
        ("post", "edit"),
        ("post", "activate"),
        ("post", "deactivate"),
        ("get", "regenerate-secret"),
        ("post", "regenerate-secret"),
        ("get", "delete"),
        ("post", "delete"),
    ],
)
def test_another_users_application_is_a_404_and_stays_unchanged(
    client, ann, make_user, make_application, method, action
):
    bob = make_user(email="bob@example.com", orgs=("Acme",))
    foreign, _ = make_application(bob, "Bob's")
    before = (foreign.name, foreign.is_active, foreign.client_secret_hash)
    url = f"{BASE}/{foreign.id}/{action}"
    response = getattr(client, method)(url, data={"name": "Hijacked"}, headers=HX)
    assert response.status_code == 404
    [foreign] = apps_of(bob)
    assert (foreign.name, foreign.is_active, foreign.client_secret_hash) == before
    assert client.get(f"{BASE}/999999/edit").status_code == 404


def test_applications_in_an_organization_the_user_left_are_404(
    client, make_user, auth, make_org, make_application
):
    user = make_user(email="multi@example.com", orgs=("Acme", "Globex"))
    auth.login("multi@example.com")
    left, _ = make_application(user, "Left Behind", organization=make_org("Globex"))
    remove_user_from_organization(user, make_org("Globex"))
    assert client.post(f"{BASE}/{left.id}/deactivate", headers=HX).status_code == 404
    assert "Left Behind" not in text_of(client.get(BASE, headers=HX))
    assert apps_of(user)[0].is_active


def test_anonymous_users_are_sent_to_login(client, make_user, make_application):
    user = make_user(email="ann@example.com")
    application, _ = make_application(user)
    response = client.post(f"{BASE}/{application.id}/delete")
    assert response.status_code == 302 and "/admin/login" in response.headers["Location"]
    # htmx is told to load the login page rather than swap it into the grid or a dialog.
    response = client.get(BASE, headers=HX)
    assert response.status_code == 401 and response.headers["HX-Redirect"] == "/admin/login"
    assert len(apps_of(user)) == 1


def test_administrator_manages_another_users_applications(
    client, make_user, auth, make_application
):
    make_user(email="root@example.com", name="Root Admin", is_admin=True)
    bob = make_user(email="bob@example.com", name="Bob Builder", orgs=("Acme",))
    application, _ = make_application(bob, "Bobs Tool")
    auth.login("root@example.com")
    users = text_of(client.get("/admin/users"))
    assert f'href="/admin/users/{bob.id}"' in users and "Bob Builder" in users
    page = text_of(client.get(f"/admin/users/{bob.id}"))
    assert "Bob Builder" in page and "Bobs Tool" in page
    assert f"/admin/users/{bob.id}/applications/{application.id}/edit" in page
    prefix = f"/admin/users/{bob.id}/applications"
    created = client.post(f"{prefix}/new", data={"name": "By Admin", "is_active": "y"}, headers=HX)
    assert created.status_code == 200
    assert client.post(f"{prefix}/{application.id}/deactivate", headers=HX).status_code == 200
    assert [(app.name, app.is_active) for app in apps_of(bob)] == [
        ("Bobs Tool", False),
        ("By Admin", True),
    ]
    # The admin's own applications are not reachable through Bob's URLs.
    assert client.get(f"/admin/users/{bob.id}/applications/999/edit").status_code == 404


def test_administrator_cannot_reach_an_application_through_the_wrong_owner(
    client, make_user, auth, make_application
):
    make_user(email="root@example.com", is_admin=True)
    bob = make_user(email="bob@example.com")
    carol = make_user(email="carol@example.com")
    carols, _ = make_application(carol, "Carol's")
    auth.login("root@example.com")
    assert client.post(f"/admin/users/{bob.id}/applications/{carols.id}/delete").status_code == 404
    assert len(apps_of(carol)) == 1
    assert client.get("/admin/users/999999").status_code == 404


@pytest.mark.parametrize(
    "url", ["/admin/users", "/admin/users/{id}", "/admin/users/{id}/applications/new"]
)
def test_non_administrators_get_403_on_user_pages(client, ann, make_user, url):
    bob = make_user(email="bob@example.com")
    assert client.get(url.format(id=bob.id)).status_code == 403
    assert client.post(url.format(id=bob.id), data={"name": "x"}).status_code in (403, 405)
    assert apps_of(bob) == []


def test_users_nav_item_only_for_administrators(client, ann, make_user, auth):
    assert 'href="/admin/users"' not in text_of(client.get("/admin/profile"))
    make_user(email="root@example.com", is_admin=True)
    auth.logout()
    auth.login("root@example.com")
    assert 'href="/admin/users"' in text_of(client.get("/admin/profile"))


# ---- Missing signing keys ----


def test_missing_keys_show_the_message_and_disable_add_and_regenerate(
    client, ann, make_application, key_paths
):
    application, _ = make_application(ann, "Still Listed")
    key_paths[0].unlink()
    html = text_of(client.get("/admin/profile"))
    assert KEYS_MISSING in html
    assert '<button class="btn btn-primary" type="button" disabled>Add Application</button>' in html
    assert "Still Listed" in html
    assert f"{BASE}/{application.id}/regenerate-secret" not in html
    refused = client.post(f"{BASE}/new", data={"name": "Nope"}, headers=HX)
    assert refused.status_code == 409 and KEYS_MISSING in text_of(refused)
    regenerate = client.post(f"{BASE}/{application.id}/regenerate-secret", headers=HX)
    assert regenerate.status_code == 409
    assert [app.name for app in apps_of(ann)] == ["Still Listed"]
    # Existing rows can still be edited, deactivated and deleted.
    edit = {"name": "Renamed", "scopes": ["profile:read"], "is_active": "y"}
    assert client.post(f"{BASE}/{application.id}/edit", data=edit, headers=HX).status_code == 200
    assert client.post(f"{BASE}/{application.id}/deactivate", headers=HX).status_code == 200
    assert apps_of(ann)[0].name == "Renamed" and not apps_of(ann)[0].is_active
    assert client.post(f"{BASE}/{application.id}/delete", headers=HX).status_code == 200
    assert apps_of(ann) == []


def test_unreadable_keys_count_as_missing(client, ann, key_paths):
    key_paths[0].write_text("not a key")
    assert KEYS_MISSING in text_of(client.get("/admin/profile"))


# ---- CSRF ----


class TestWithCsrf:
    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "WTF_CSRF_ENABLED": True}

    def login(self, client, email):
        page = text_of(client.get("/admin/login"))
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        data = {"email": email, "password": "correct-horse-battery", "csrf_token": token}
        assert client.post("/admin/login", data=data).status_code == 302

    def test_changes_need_the_token_which_htmx_sends_as_a_header(
        self, client, make_user, make_application
    ):
        user = make_user(email="ann@example.com")
        application, _ = make_application(user, "Guarded")
        self.login(client, "ann@example.com")
        refused = client.post(f"{BASE}/{application.id}/delete", headers=HX)
        assert refused.status_code == 400
        assert client.post(f"{BASE}/new", data={"name": "Forged"}, headers=HX).status_code == 400
        assert [app.name for app in apps_of(user)] == ["Guarded"]
        page = text_of(client.get("/admin/profile"))
        token = re.search(r'hx-headers=\'\{"X-CSRFToken": "([^"]+)"\}\'', page).group(1)
        headers = {**HX, "X-CSRFToken": token}
        assert client.post(f"{BASE}/new", data={"name": "Real"}, headers=headers).status_code == 200
        assert client.post(f"{BASE}/{application.id}/delete", headers=headers).status_code == 200
        assert [app.name for app in apps_of(user)] == ["Real"]


def test_client_ids_never_start_with_a_dash(monkeypatch):
    """A leading '-' reads as an option on the command line; such draws are thrown back."""
    from oauthsrv.services import applications as service

    draws = iter(["-91GqLeadingDash", "--another", "Fine-id_after"])
    monkeypatch.setattr(service.secrets, "token_urlsafe", lambda size: next(draws))
    assert service.generate_client_id() == "Fine-id_after"
    monkeypatch.undo()
    assert not any(service.generate_client_id().startswith("-") for _ in range(2000))


def test_add_dialog_offers_every_scope_checked_and_keeps_the_choice(client, ann):
    dialog = text_of(client.get(f"{BASE}/new", headers=HX))
    for scope in ("profile:read", "users:read", "applications:read"):
        assert 'checked id="scopes-' in dialog and f'value="{scope}"' in dialog
    assert dialog.count("checked") >= 4  # Active and the three scopes
    data = {"name": "Narrow", "is_active": "y", "scopes_offered": "1", "scopes": ["users:read"]}
    assert client.post(f"{BASE}/new", data=data, headers=HX).status_code == 200
    assert apps_of(ann)[0].scope_list == ["users:read"]


def test_add_dialog_refuses_no_scope_at_all(client, ann):
    data = {"name": "Nothing", "is_active": "y", "scopes_offered": "1"}
    response = client.post(f"{BASE}/new", data=data, headers=HX)
    assert response.status_code == 422 and "Select at least one scope." in text_of(response)
    assert 'aria-describedby="scopes-errors"' in text_of(response)
    assert apps_of(ann) == []


def test_a_post_without_the_scope_checkboxes_allows_every_scope(client, ann):
    assert client.post(f"{BASE}/new", data={"name": "Legacy"}, headers=HX).status_code == 200
    assert apps_of(ann)[0].scope_list == ["profile:read", "users:read", "applications:read"]
