"""Who may manage which applications: owners, administrators, other users, anonymous."""

import pytest
from apps_helpers import BASE, HX, apps_of, text_of

from oauthsrv.services.accounts import remove_user_from_organization

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
