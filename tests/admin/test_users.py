"""Users: permissions, the grid, Create (password or one-time link), Edit, Reset Password,
Activate/Deactivate."""

import re

import pytest
from admin_helpers import HX, api_me, text_of, token_of

from oauthsrv.services import accounts
from tests.conftest import TEST_PASSWORD

URL = "/admin/users"


def link_in(html: str) -> str:
    return re.search(
        r'id="password-link" type="text" value="http://localhost(/admin/password/[^"]+)"', html
    ).group(1)


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", ""),
        ("get", "/new"),
        ("post", "/new"),
        ("get", "/{id}/edit"),
        ("post", "/{id}/edit"),
        ("get", "/{id}/reset-password"),
        ("post", "/{id}/reset-password"),
        ("post", "/{id}/deactivate"),
        ("post", "/{id}/activate"),
    ],
)
def test_non_administrators_get_403_and_change_nothing(
    client, owner, make_user, auth, method, path
):
    bob = make_user(email="bob@example.com", name="Bob")
    auth.login(owner.email)
    data = {
        "name": "Hijacked",
        "email": "h@example.com",
        "organizations": "1",
        "password": "x" * 12,
        "password_choice": "set",
    }
    response = getattr(client, method)(URL + path.format(id=bob.id), data=data)
    assert response.status_code == 403
    bob = accounts.get_user(bob.id)
    assert (bob.name, bob.is_active) == ("Bob", True) and accounts.find_user(
        "h@example.com"
    ) is None


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", ""),
        ("get", "/edit"),
        ("post", "/edit"),
        ("get", "/reset-password"),
        ("post", "/reset-password"),
        ("post", "/deactivate"),
        ("get", "/applications"),
    ],
)
def test_a_user_of_another_organization_is_a_404(client, acme_admin, make_user, method, path):
    globex_user = make_user(email="g@example.com", name="Gina", orgs=("Globex",))
    response = getattr(client, method)(f"{URL}/{globex_user.id}{path}", data={"name": "X"})
    assert response.status_code == 404
    assert accounts.get_user(globex_user.id).is_active
    assert "Gina" not in text_of(client.get(URL))


def test_grid_filters_sort_and_pages(client, root, make_user, app):
    make_user(email="ann@example.com", name="Ann", orgs=("Acme",))
    make_user(email="zed@example.com", name="Zed", orgs=("Globex",), is_admin=True)
    carl = make_user(email="carl@example.com", name="Carl", orgs=("Acme",))
    accounts.set_user_active(carl, False)
    acme = accounts.find_organization("Acme")

    def names(query):
        html = text_of(client.get(URL + query, headers=HX))
        return re.findall(r'<a href="/admin/users/\d+">([^<]+)</a>', html)

    assert names("") == ["Ann", "Carl", "Root Admin", "Zed"]
    assert names("?q=ZED@") == ["Zed"]
    assert names(f"?organization={acme.id}") == ["Ann", "Carl"]
    assert names("?status=inactive") == ["Carl"]
    assert names("?role=admin") == ["Root Admin", "Zed"]
    assert names("?sort=name&direction=desc") == ["Zed", "Root Admin", "Carl", "Ann"]
    app.config["ADMIN_PER_PAGE"] = 3
    assert names("?page=2") == ["Zed"]
    assert "4–4 of 4" in text_of(client.get(URL + "?page=2", headers=HX))
    assert "<html" in text_of(client.get(URL + "?q=a"))  # without htmx, the whole page


def test_create_with_a_password(client, root, auth, make_org):
    acme = make_org("Acme")
    data = {
        "name": "Nina New",
        "email": "Nina@Example.com",
        "organizations": [acme.id],
        "locale": "de",
        "password_choice": "set",
        "password": "a-good-password",
    }
    response = client.post(URL + "/new", data=data)
    assert response.status_code == 303
    nina = accounts.find_user("nina@example.com")
    assert (nina.name, nina.locale, nina.is_admin, [o.name for o in nina.organizations]) == (
        "Nina New",
        "de",
        False,
        ["Acme"],
    )
    auth.logout()
    assert auth.login("nina@example.com", "a-good-password").status_code == 302


def test_create_refuses_bad_input(client, root, make_org, make_user):
    acme = make_org("Acme")
    make_user(email="taken@example.com")
    base = {
        "name": "N",
        "email": "n@example.com",
        "organizations": [acme.id],
        "password_choice": "set",
        "password": "a-good-password",
    }
    cases = [
        ({"email": "taken@example.com"}, "already exists"),
        ({"email": "not-an-email"}, "Invalid email address"),
        ({"organizations": []}, "Choose at least one organization."),
        ({"password": "short"}, "at least 8 characters"),
        ({"organizations": [999999]}, "not a valid choice"),
    ]
    for change, message in cases:
        response = client.post(URL + "/new", data={**base, **change})
        assert response.status_code == 422 and message in text_of(response), change
    assert accounts.find_user("n@example.com") is None


def test_create_with_a_one_time_link(client, root, auth, make_org):
    acme = make_org("Acme")
    data = {
        "name": "Lee Link",
        "email": "lee@example.com",
        "organizations": [acme.id],
        "password_choice": "link",
    }
    response = client.post(URL + "/new", data=data)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    link = link_in(text_of(response))
    auth.logout()
    page = client.get(link)
    assert page.status_code == 200 and "lee@example.com" in text_of(page)
    mismatch = client.post(link, data={"password": "first-password", "confirm": "other"})
    assert mismatch.status_code == 422 and "differ" in text_of(mismatch)
    done = client.post(link, data={"password": "first-password", "confirm": "first-password"})
    assert done.status_code == 303
    assert client.get(link).status_code == 404  # used: it works once
    assert auth.login("lee@example.com", "first-password").status_code == 302


def test_edit_changes_details_and_memberships(client, root, make_user, make_org, make_application):
    bob = make_user(email="bob@example.com", name="Bob", orgs=("Acme", "Globex"))
    globex = make_org("Globex")
    application, secret = make_application(bob, "In Globex", organization=globex)
    token = token_of(client, application.client_id, secret)
    form = text_of(client.get(f"{URL}/{bob.id}/edit"))
    assert 'value="bob@example.com"' in form
    data = {
        "name": "Robert",
        "email": "robert@example.com",
        "organizations": [make_org("Acme").id],
        "is_admin": "y",
        "locale": "fr",
    }
    assert client.post(f"{URL}/{bob.id}/edit", data=data).status_code == 303
    bob = accounts.get_user(bob.id)
    assert (bob.name, bob.email, bob.is_admin, bob.locale) == (
        "Robert",
        "robert@example.com",
        True,
        "fr",
    )
    assert [org.name for org in bob.organizations] == ["Acme"]
    assert api_me(client, token) == 401  # left Globex: its tokens there stop


def test_edit_keeps_memberships_the_administrator_does_not_manage(
    client, make_user, auth, make_org
):
    make_user(email="admin@example.com", orgs=("Acme",), is_admin=True)
    bob = make_user(email="bob@example.com", name="Bob", orgs=("Acme", "Globex"))
    auth.login("admin@example.com")
    form = text_of(client.get(f"{URL}/{bob.id}/edit"))
    assert "Globex" not in form  # not offered
    data = {
        "name": "Bob B",
        "email": "bob@example.com",
        "organizations": [make_org("Acme").id],
        "locale": "en",
    }
    assert client.post(f"{URL}/{bob.id}/edit", data=data).status_code == 303
    assert [org.name for org in accounts.get_user(bob.id).organizations] == ["Acme", "Globex"]


def test_an_administrator_keeps_their_own_role(client, root, make_org):
    hq = make_org("Headquarters")
    data = {"name": "Root", "email": root.email, "organizations": [hq.id], "locale": "en"}
    response = client.post(f"{URL}/{root.id}/edit", data=data)
    assert response.status_code == 422 and "your own administrator role" in text_of(response)
    assert accounts.get_user(root.id).is_admin


def test_reset_password_by_hand(client, root, auth, make_user):
    bob = make_user(email="bob@example.com")
    response = client.post(
        f"{URL}/{bob.id}/reset-password",
        data={"password_choice": "set", "password": "brand-new-pass"},
    )
    assert response.status_code == 303
    auth.logout()
    assert auth.login("bob@example.com", TEST_PASSWORD).status_code == 401
    assert auth.login("bob@example.com", "brand-new-pass").status_code == 302


def test_reset_password_by_link_kills_the_old_password_and_older_links(
    client, root, auth, make_user
):
    bob = make_user(email="bob@example.com")
    first = link_in(
        text_of(client.post(f"{URL}/{bob.id}/reset-password", data={"password_choice": "link"}))
    )
    second = link_in(
        text_of(client.post(f"{URL}/{bob.id}/reset-password", data={"password_choice": "link"}))
    )
    auth.logout()
    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200
    assert auth.login("bob@example.com", TEST_PASSWORD).status_code == 401
    assert client.get("/admin/password/forged-token").status_code == 404


def test_deactivate_and_activate(client, root, make_user, make_application):
    bob = make_user(email="bob@example.com", orgs=("Acme",))
    application, secret = make_application(bob, "Bob's")
    token = token_of(client, application.client_id, secret)
    page = text_of(client.get(f"{URL}/{bob.id}"))
    assert f'action="/admin/users/{bob.id}/deactivate"' in page and "Bob&#39;s" in page
    assert client.post(f"{URL}/{bob.id}/deactivate").status_code == 303
    assert not accounts.get_user(bob.id).is_active and api_me(client, token) == 401
    assert client.post(f"{URL}/{bob.id}/activate").status_code == 303
    assert accounts.get_user(bob.id).is_active and api_me(client, token) == 401  # stays dead


def test_an_administrator_cannot_deactivate_themselves(client, root):
    response = client.post(f"{URL}/{root.id}/deactivate", follow_redirects=True)
    assert "You cannot deactivate yourself." in text_of(response)
    assert accounts.get_user(root.id).is_active
