"""My User, the user menu and the organization switcher."""

from oauthsrv.extensions import db
from oauthsrv.services.accounts import find_organization, find_user


def test_my_user_shows_name_email_organizations_and_locale(client, auth, make_user):
    make_user(email="ann@example.com", name="Ann Example", orgs=("Acme", "Globex"), locale="de")
    auth.login("ann@example.com")
    html = client.get("/admin/profile").get_data(as_text=True)
    for text in ("Ann Example", "ann@example.com", "Acme", "Globex", "Deutsch"):
        assert text in html


def test_user_menu_offers_my_user_and_logout(client, auth, make_user):
    make_user(email="ann@example.com", name="Ann Example")
    auth.login("ann@example.com")
    html = client.get("/admin/profile").get_data(as_text=True)
    menu = html.split('class="menu user-menu"')[1].split("</details>")[0]
    assert "Ann Example" in menu
    assert ">My User</a>" in menu and 'href="/admin/profile"' in menu
    assert ">Logout</button>" in menu and 'action="/admin/logout"' in menu


def test_single_organization_users_get_no_switcher(client, auth, make_user):
    make_user(email="ann@example.com", orgs=("Acme",))
    auth.login("ann@example.com")
    assert "org-switch" not in client.get("/admin/profile").get_data(as_text=True)


def current_org_in_page(client):
    html = client.get("/admin/profile").get_data(as_text=True)
    switcher = html.split('id="org-switch"')[1].split("</select>")[0]
    return switcher.split("selected>")[1].split("<")[0]


def test_first_organization_by_name_is_current_at_first_login(client, auth, make_user):
    make_user(email="ann@example.com", orgs=("Zeta", "Alpha"))
    auth.login("ann@example.com")
    assert current_org_in_page(client) == "Alpha"


def test_switching_is_remembered_for_the_next_login(client, auth, make_user):
    make_user(email="ann@example.com", orgs=("Alpha", "Zeta"))
    auth.login("ann@example.com")
    zeta = find_organization("Zeta")
    response = client.post("/admin/switch-organization", data={"organization_id": zeta.id})
    assert response.status_code == 302
    assert current_org_in_page(client) == "Zeta"
    auth.logout()
    auth.login("ann@example.com")
    assert current_org_in_page(client) == "Zeta"


def test_cannot_switch_to_an_organization_one_does_not_belong_to(client, auth, make_user, make_org):
    make_user(email="ann@example.com", orgs=("Alpha", "Beta"))
    other = make_org("Other")
    auth.login("ann@example.com")
    response = client.post("/admin/switch-organization", data={"organization_id": other.id})
    assert response.status_code == 404
    db.session.expire_all()
    assert find_user("ann@example.com").last_organization_id != other.id
    assert current_org_in_page(client) == "Alpha"
