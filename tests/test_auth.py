"""Login, logout, throttling and the session."""

import pytest

from oauthsrv.models import User


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
