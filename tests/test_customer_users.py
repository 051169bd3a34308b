"""Administrators manage storefront customer users at /admin/customer-users."""

import pytest

from oauthsrv.extensions import db
from oauthsrv.models import CustomerUser, OAuthApplication
from oauthsrv.services.accounts import create_customer_user


@pytest.fixture
def admin(make_user, auth):
    user = make_user(email="admin@example.com", orgs=("Acme", "Globex"), is_admin=True)
    auth.login("admin@example.com")
    return user


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/admin/customer-users"),
        ("get", "/admin/customer-users/new"),
        ("post", "/admin/customer-users/new"),
        ("get", "/admin/customer-users/{id}"),
        ("post", "/admin/customer-users/{id}/deactivate"),
    ],
)
def test_non_administrators_get_403(client, auth, make_user, make_org, method, path):
    make_user(email="ann@example.com")
    customer = create_customer_user("c@example.com", "Cody", "Acme")
    auth.login("ann@example.com")
    response = getattr(client, method)(path.format(id=customer.id), data={"email": "x@example.com"})
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(CustomerUser, customer.id).is_active


def test_anonymous_users_are_sent_to_log_in(client):
    response = client.get("/admin/customer-users")
    assert response.status_code == 302 and "/admin/login" in response.headers["Location"]


def test_create_customer_user(client, admin, make_org):
    acme = make_org("Acme")
    response = client.post(
        "/admin/customer-users/new",
        data={"email": "Cody@Example.com", "name": "Cody", "organization": acme.id, "locale": "fr"},
    )
    assert response.status_code == 302
    customer = db.session.query(CustomerUser).one()
    assert (customer.email, customer.organization.name, customer.locale) == (
        "cody@example.com",
        "Acme",
        "fr",
    )
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Cody" in page and "Français" in page


@pytest.mark.parametrize(
    "data, message",
    [
        ({"email": "not-an-email"}, "Invalid email address"),
        ({"email": "taken@example.com"}, "already exists"),
        ({"name": ""}, "This field is required."),
    ],
)
def test_create_refuses_bad_input(client, admin, make_org, data, message):
    acme = make_org("Acme")
    create_customer_user("taken@example.com", "Taken", "Acme")
    form = {"email": "new@example.com", "name": "New", "organization": acme.id, "locale": "en"}
    response = client.post("/admin/customer-users/new", data={**form, **data})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.query(CustomerUser).count() == 1


def test_list_filters_by_text_organization_and_status(client, admin, make_org):
    globex = make_org("Globex")
    create_customer_user("alice@example.com", "Alice Shopper", "Acme")
    create_customer_user("bob@example.com", "Bob Buyer", "Globex")
    inactive = create_customer_user("carol@example.com", "Carol Gone", "Globex")
    client.post(f"/admin/customer-users/{inactive.id}/deactivate")

    def names(**query):
        html = client.get("/admin/customer-users", query_string=query).get_data(as_text=True)
        return [n for n in ("Alice Shopper", "Bob Buyer", "Carol Gone") if n in html]

    assert names() == ["Alice Shopper", "Bob Buyer", "Carol Gone"]
    assert names(q="BOB@") == ["Bob Buyer"]
    assert names(organization=str(globex.id)) == ["Bob Buyer", "Carol Gone"]
    assert names(status="inactive") == ["Carol Gone"]
    assert names(organization="999999") == ["Alice Shopper", "Bob Buyer", "Carol Gone"]


def test_edit_keeps_the_organization(client, admin, make_org):
    globex = make_org("Globex")
    customer = create_customer_user("c@example.com", "Cody", "Acme")
    response = client.post(
        f"/admin/customer-users/{customer.id}/edit",
        data={"email": "c2@example.com", "name": "Cody Two", "organization": globex.id,
              "locale": "de"},
    )  # fmt: skip
    assert response.status_code == 302
    db.session.expire_all()
    customer = db.session.get(CustomerUser, customer.id)
    assert (customer.email, customer.name, customer.organization.name) == (
        "c2@example.com",
        "Cody Two",
        "Acme",
    )


def test_deactivate_and_activate(client, admin):
    customer = create_customer_user("c@example.com", "Cody", "Acme")
    assert client.post(f"/admin/customer-users/{customer.id}/deactivate").status_code == 303
    db.session.expire_all()
    assert not db.session.get(CustomerUser, customer.id).is_active
    assert client.get(f"/admin/customer-users/{customer.id}/deactivate").status_code == 405
    client.post(f"/admin/customer-users/{customer.id}/activate")
    db.session.expire_all()
    assert db.session.get(CustomerUser, customer.id).is_active


def test_unknown_customer_user_is_404(client, admin):
    assert client.get("/admin/customer-users/424242").status_code == 404
    assert client.post("/admin/customer-users/424242/deactivate").status_code == 404


def test_list_pages_by_25_and_keeps_filters(client, admin):
    for number in range(27):
        create_customer_user(f"c{number:02}@example.com", f"Shopper {number:02}", "Acme")
    first = client.get("/admin/customer-users?q=shopper").get_data(as_text=True)
    assert "Shopper 24" in first and "Shopper 25" not in first
    assert "27 results · page 1 of 2" in first
    assert "/admin/customer-users?page=2&amp;q=shopper" in first
    second = client.get("/admin/customer-users?q=shopper&page=2").get_data(as_text=True)
    assert "Shopper 25" in second and "Shopper 26" in second and "Shopper 00" not in second


HX = {"HX-Request": "true"}


def test_customer_users_page_manages_their_frontend_applications(client, admin, make_org):
    customer = create_customer_user("c@example.com", "Cody", "Acme")
    base = f"/admin/customer-users/{customer.id}/applications"
    page = client.get(f"/admin/customer-users/{customer.id}").get_data(as_text=True)
    assert "OAuth Applications" in page and "Add Application" in page
    response = client.post(f"{base}/new", data={"name": "Shop sync", "is_active": "y"}, headers=HX)
    assert response.status_code == 200 and "Client Secret" in response.get_data(as_text=True)
    application = db.session.query(OAuthApplication).one()
    assert (application.kind, application.owner_customer_user_id) == ("frontend", customer.id)
    assert application.organization.name == "Acme" and application.scopes == "customer:read"
    edit = client.get(f"{base}/{application.id}/edit", headers=HX).get_data(as_text=True)
    assert "customer:read" in edit and "users:read" not in edit
    grid = client.get(base, headers=HX).get_data(as_text=True)
    assert "Shop sync" in grid and application.client_id in grid


def test_another_customer_users_application_is_404(client, admin, make_application):
    cody = create_customer_user("c@example.com", "Cody", "Acme")
    dana = create_customer_user("d@example.com", "Dana", "Acme")
    application, _ = make_application(cody, "Cody's app")
    other = f"/admin/customer-users/{dana.id}/applications/{application.id}"
    assert client.get(f"{other}/edit", headers=HX).status_code == 404
    assert client.post(f"{other}/deactivate", headers=HX).status_code == 404
    assert client.post(f"{other}/delete", headers=HX).status_code == 404
    db.session.expire_all()
    assert db.session.get(OAuthApplication, application.id).is_active


def test_non_administrators_cannot_reach_customer_applications(client, auth, make_user):
    make_user(email="ann@example.com")
    customer = create_customer_user("c@example.com", "Cody", "Acme")
    auth.login("ann@example.com")
    base = f"/admin/customer-users/{customer.id}/applications"
    assert client.get(base, headers=HX).status_code == 403
    assert client.post(f"{base}/new", data={"name": "Sneaky"}, headers=HX).status_code == 403
    assert db.session.query(OAuthApplication).count() == 0


def test_filters_match_the_applications_grid_and_htmx_gets_the_grid_alone(client, admin):
    page = client.get("/admin/customer-users").get_data(as_text=True)
    assert '<option value="">All organizations</option>' in page
    assert '<option value="">All statuses</option>' in page
    assert 'hx-trigger="input delay:300ms, submit"' in page and 'id="customers-grid"' in page
    response = client.get("/admin/customer-users?q=zzz", headers={"HX-Request": "true"})
    fragment = response.get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="customers-grid">')
    assert "<html" not in fragment and "No customer users match these filters." in fragment
    assert "HX-Request" in response.headers["Vary"]
