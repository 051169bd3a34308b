"""Inputs that must never reach a 500: the rows of the hardening table, on both databases."""

import pytest
import requests

from tests.conftest import TEST_PASSWORD

HUGE_ID = "99999999999999999999"


@pytest.fixture
def admin(make_user, auth):
    user = make_user(email="root@example.com", is_admin=True, name="Root Admin")
    auth.login("root@example.com")
    return user


@pytest.fixture
def owned(admin, make_application):
    application, _ = make_application(admin, name="Owned app")
    return application


@pytest.mark.parametrize("path", ["/admin/login", "/admin/profile", "/oauth2-token", "/api/x"])
def test_a_host_header_that_idna_cannot_encode_is_400(client, path):
    response = client.get(path, headers={"Host": "a" * 300})
    assert response.status_code == 400


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", f"/admin/profile/applications/{HUGE_ID}/edit"),
        ("POST", f"/admin/profile/applications/{HUGE_ID}/edit"),
        ("POST", f"/admin/profile/applications/{HUGE_ID}/deactivate"),
        ("GET", f"/admin/users/{HUGE_ID}"),
        ("GET", f"/admin/users/{HUGE_ID}/applications"),
        ("GET", f"/admin/customer-users/{HUGE_ID}"),
        ("GET", f"/admin/customer-users/{HUGE_ID}/edit"),
        ("POST", f"/admin/customer-users/{HUGE_ID}/activate"),
    ],
)
def test_an_id_beyond_the_database_integer_is_404(client, admin, method, path):
    response = client.open(path, method=method, data={"name": "x"})
    assert response.status_code == 404


def test_an_id_beyond_the_database_integer_is_404_on_the_api(client):
    response = client.get(f"/admin/api/users/{HUGE_ID}", headers={"Authorization": "Bearer x"})
    assert response.status_code in (401, 404)


@pytest.mark.parametrize("value", ["%C2%B2", HUGE_ID])
@pytest.mark.parametrize("name", ["page", "organization"])
@pytest.mark.parametrize(
    "path",
    [
        "/admin/profile",
        "/admin/profile/applications",
        "/admin/users/{id}",
        "/admin/users/{id}/applications",
        "/admin/customer-users",
        "/admin/system/notifications",
    ],
)
@pytest.mark.parametrize("htmx", [False, True])
def test_a_query_int_that_is_no_id_is_ignored(client, admin, owned, path, name, value, htmx):
    """`²` passes str.isdigit() but not int(); a huge page would overflow the SQL OFFSET."""
    headers = {"HX-Request": "true"} if htmx else {}
    response = client.get(path.format(id=admin.id) + f"?{name}={value}", headers=headers)
    assert response.status_code == 200
    assert "Owned app" in response.get_data(as_text=True) or "applications" not in path


def test_an_application_name_with_a_nul_byte_is_a_form_error(client, admin):
    response = client.post(
        "/admin/profile/applications/new", data={"name": "bad\x00name", "organization": ""}
    )
    assert response.status_code == 422
    assert "cannot contain a NUL character" in response.get_data(as_text=True)


def test_a_nul_byte_in_a_customer_user_is_a_form_error(client, admin, make_org):
    make_org("Acme")
    response = client.post(
        "/admin/customer-users/new",
        data={"email": "nul@example.com", "name": "Nul\x00", "organization": "1", "locale": "en"},
    )
    assert response.status_code == 422
    assert "cannot contain a NUL character" in response.get_data(as_text=True)


def test_a_nul_byte_in_the_grid_name_filter_finds_nothing(client, owned):
    response = client.get("/admin/profile/applications?name=Owned%00")
    assert response.status_code == 200
    assert "Owned app" not in response.get_data(as_text=True)


def test_a_nul_byte_in_the_customer_filter_finds_nothing(client, admin, customer):
    response = client.get("/admin/customer-users?q=cody%00")
    assert response.status_code == 200
    assert "customer@example.com" not in response.get_data(as_text=True)


def test_a_nul_byte_in_the_login_email_is_a_failed_login(client, make_user):
    make_user(email="ann@example.com")
    response = client.post(
        "/admin/login", data={"email": "ann@example.com\x00", "password": TEST_PASSWORD}
    )
    assert response.status_code in (400, 401)
    assert client.get("/admin/profile").status_code == 302


def test_a_next_with_crlf_after_a_good_login_goes_to_the_default_page(client, make_user):
    make_user(email="ann@example.com")
    response = client.post(
        "/admin/login?next=/%0d%0aX:1", data={"email": "ann@example.com", "password": TEST_PASSWORD}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/profile"
    assert "X" not in response.headers


def test_a_next_with_crlf_is_dropped_when_served(live_server, make_user):
    """Over real HTTP too: no header is forged and the server answers the redirect."""
    make_user(email="ann@example.com")
    response = requests.post(
        live_server.url + "/admin/login?next=/%0d%0aX:1",
        data={"email": "ann@example.com", "password": TEST_PASSWORD},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/profile"
    assert "X" not in response.headers
