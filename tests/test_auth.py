"""Login, logout, throttling and the session."""

import pytest
from werkzeug.security import check_password_hash

from oauthsrv.models import User
from oauthsrv.services.accounts import DUMMY_HASH


def test_login_page_has_email_and_password_fields(client):
    response = client.get("/admin/login")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<label for="email">Email</label>' in html
    assert '<label for="password">Password</label>' in html


def test_root_and_admin_redirect_to_login_when_anonymous(client):
    assert client.get("/").headers["Location"].endswith("/admin/profile")
    response = client.get("/admin/profile")
    assert response.status_code == 302
    assert "/admin/login" in response.headers["Location"]


def test_login_lands_on_my_user(client, auth, make_user):
    make_user(email="ann@example.com", name="Ann Example")
    response = auth.login("ann@example.com")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/profile")
    page = client.get("/admin/profile").get_data(as_text=True)
    assert "Ann Example" in page and "ann@example.com" in page


def test_login_email_is_case_insensitive(client, auth, make_user):
    make_user(email="ann@example.com")
    assert auth.login("ANN@Example.com").status_code == 302


@pytest.mark.parametrize(
    "email, password",
    [("ann@example.com", "wrong-password"), ("nobody@example.com", "correct-horse-battery")],
)
def test_unknown_user_and_wrong_password_get_the_same_message(client, make_user, email, password):
    make_user(email="ann@example.com")
    response = client.post("/admin/login", data={"email": email, "password": password})
    assert response.status_code == 401
    assert "Invalid email or password." in response.get_data(as_text=True)
    assert client.get("/admin/profile").status_code == 302


def test_inactive_user_cannot_log_in(client, auth, make_user, app):
    user = make_user(email="ann@example.com")
    from oauthsrv.services.accounts import set_user_active

    set_user_active(user, False)
    assert auth.login("ann@example.com").status_code == 401


def test_deactivated_user_is_logged_out_on_next_request(client, auth, make_user):
    user = make_user(email="ann@example.com")
    auth.login("ann@example.com")
    from oauthsrv.services.accounts import set_user_active

    set_user_active(user, False)
    assert client.get("/admin/profile").status_code == 302


def test_failed_logins_are_throttled_per_account(client, make_user, app):
    make_user(email="ann@example.com")
    limit = app.config["LOGIN_FAILURES_PER_ACCOUNT"]
    for _ in range(limit):
        client.post("/admin/login", data={"email": "ann@example.com", "password": "nope-nope"})
    # Even the right password is refused while the account is throttled.
    response = client.post(
        "/admin/login", data={"email": "ann@example.com", "password": "correct-horse-battery"}
    )
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert "Too many failed login attempts" in response.get_data(as_text=True)


def test_failed_logins_are_throttled_per_ip(client, make_user, app):
    make_user(email="ann@example.com")
    for attempt in range(app.config["LOGIN_FAILURES_PER_IP"]):
        client.post("/admin/login", data={"email": f"x{attempt}@example.com", "password": "no"})
    response = client.post(
        "/admin/login", data={"email": "ann@example.com", "password": "correct-horse-battery"}
    )
    assert response.status_code == 429


def test_throttle_does_not_touch_other_addresses(client, make_user, app):
    make_user(email="ann@example.com")
    for attempt in range(app.config["LOGIN_FAILURES_PER_IP"]):
        client.post("/admin/login", data={"email": f"x{attempt}@example.com", "password": "no"})
    response = client.post(
        "/admin/login",
        data={"email": "ann@example.com", "password": "correct-horse-battery"},
        environ_base={"REMOTE_ADDR": "10.9.8.7"},
    )
    assert response.status_code == 302


def test_logout_requires_post(client, auth, make_user):
    make_user(email="ann@example.com")
    auth.login("ann@example.com")
    assert client.get("/admin/logout").status_code == 405
    assert client.get("/admin/profile").status_code == 200
    assert auth.logout().status_code == 302
    assert client.get("/admin/profile").status_code == 302


def test_session_is_renewed_at_login(client, make_user):
    make_user(email="ann@example.com")
    client.get("/admin/login")
    with client.session_transaction() as session:
        session["planted"] = "by-an-attacker"
    client.post(
        "/admin/login", data={"email": "ann@example.com", "password": "correct-horse-battery"}
    )
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"]


def test_next_parameter_only_follows_local_paths(client, make_user):
    make_user(email="ann@example.com")
    response = client.post(
        "/admin/login?next=https://evil.example/",
        data={"email": "ann@example.com", "password": "correct-horse-battery"},
    )
    assert response.headers["Location"].endswith("/admin/profile")


def test_passwords_are_stored_hashed(app, make_user):
    user = make_user(email="ann@example.com")
    stored = app.extensions["sqlalchemy"].session.get(User, user.id).password_hash
    assert "correct-horse-battery" not in stored
    assert stored.startswith(("scrypt:", "pbkdf2:"))


def test_an_unknown_email_costs_the_same_hashing_as_a_real_password(app, make_user):
    # The hash checked for unknown emails is written out (no scrypt at import): it must stay a
    # valid hash with the method and cost a real password gets today, or timings would differ.
    user = make_user(email="ann@example.com")
    stored = app.extensions["sqlalchemy"].session.get(User, user.id).password_hash
    assert DUMMY_HASH.split("$")[0] == stored.split("$")[0]
    assert check_password_hash(DUMMY_HASH, "timing-equaliser")


# ---- An expired session: say so, and come back to the same page after login ----

SESSION_EXPIRED = "Your session has expired. Please log in again."


def test_an_expired_session_says_so_and_returns_to_the_page(client, auth, make_user):
    make_user(email="ann@example.com")
    auth.login("ann@example.com")
    with client.session_transaction() as session:
        session.clear()  # what an expired or dropped session cookie leaves behind
    response = client.get("/admin/profile?name=Sync&status=active")
    assert response.status_code == 302
    login_url = response.headers["Location"]
    assert login_url.startswith("/admin/login?next=")
    page = client.get(login_url).get_data(as_text=True)
    assert SESSION_EXPIRED in page
    logged_in = client.post(
        login_url, data={"email": "ann@example.com", "password": "correct-horse-battery"}
    )
    assert logged_in.headers["Location"] == "/admin/profile?name=Sync&status=active"


def test_a_first_visit_is_not_called_an_expired_session(client):
    response = client.get("/admin/profile")
    assert response.headers["Location"] == "/admin/login?next=/admin/profile"
    assert SESSION_EXPIRED not in client.get(response.headers["Location"]).get_data(as_text=True)


def test_after_logout_the_login_page_does_not_talk_of_expiry(client, auth, make_user):
    make_user(email="ann@example.com")
    auth.login("ann@example.com")
    auth.logout()
    response = client.get("/admin/profile")
    assert SESSION_EXPIRED not in client.get(response.headers["Location"]).get_data(as_text=True)


def test_htmx_requests_are_sent_to_log_in_and_back_to_their_page(client, auth, make_user):
    make_user(email="ann@example.com")
    auth.login("ann@example.com")
    with client.session_transaction() as session:
        session.clear()
    headers = {"HX-Request": "true", "HX-Current-URL": "http://localhost/admin/profile?page=2"}
    response = client.get("/admin/profile/applications?page=2", headers=headers)
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/admin/login?next=/admin/profile?page%3D2"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "/\t/evil.example/",
        "/\n/evil.example/",
        "javascript:alert(1)",
        "evil.example",
        "",
    ],
)
def test_next_only_follows_same_site_paths(target):
    from oauthsrv.auth.return_to import same_site_path

    assert same_site_path(target) is None
    assert same_site_path("/admin/profile?name=a//b") == "/admin/profile?name=a//b"
