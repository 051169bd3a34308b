"""Back-office sessions end on the server: logout, deactivation and a password change make every
copy of the session cookie worthless at its next request; reactivating revives nothing."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from oauthsrv.auth.session import LOGIN_KEY
from oauthsrv.extensions import db
from oauthsrv.models import LoginSession
from oauthsrv.services import ValidationError, accounts
from tests.conftest import TEST_PASSWORD

NEW_PASSWORD = "a-new-password-42"


@pytest.fixture
def copy_of(app):
    """Another browser holding the same session cookie as `client` (a stolen or copied cookie)."""
    name = app.config["SESSION_COOKIE_NAME"]

    def copy(client):
        other = app.test_client()
        other.set_cookie(name, client.get_cookie(name).value)
        return other

    return copy


def sends_to_login(client) -> bool:
    answer = client.get("/admin/profile")
    return answer.status_code == 302 and answer.headers["Location"].startswith("/admin/login")


def open_sessions() -> int:
    return db.session.scalar(select(func.count()).select_from(LoginSession))


def test_logout_ends_the_session_for_a_copy_taken_before(client, auth, owner, copy_of):
    auth.login(owner.email)
    copy = copy_of(client)
    assert copy.get("/admin/profile").status_code == 200
    assert open_sessions() == 1

    assert auth.logout().status_code == 302
    assert sends_to_login(copy)
    assert sends_to_login(client)
    assert open_sessions() == 0


def test_logout_ends_only_that_session(app, client, auth, owner):
    elsewhere = app.test_client()
    elsewhere.post("/admin/login", data={"email": owner.email, "password": TEST_PASSWORD})
    auth.login(owner.email)
    auth.logout()
    assert elsewhere.get("/admin/profile").status_code == 200


def test_deactivation_ends_every_session_and_reactivation_revives_none(
    app, client, auth, owner, copy_of
):
    auth.login(owner.email)
    copy = copy_of(client)
    other_login = app.test_client()
    other_login.post("/admin/login", data={"email": owner.email, "password": TEST_PASSWORD})
    assert other_login.get("/admin/profile").status_code == 200

    accounts.set_user_active(owner, False)
    assert sends_to_login(copy) and sends_to_login(other_login)
    accounts.set_user_active(owner, True)
    assert sends_to_login(client) and sends_to_login(copy) and sends_to_login(other_login)
    assert auth.login(owner.email).status_code == 302
    assert client.get("/admin/profile").status_code == 200


def test_a_password_change_ends_every_session(client, auth, owner, copy_of):
    auth.login(owner.email)
    copy = copy_of(client)
    accounts.set_password(owner, NEW_PASSWORD)
    assert sends_to_login(client) and sends_to_login(copy)
    assert auth.login(owner.email).status_code == 401  # the old password no longer works
    assert auth.login(owner.email, NEW_PASSWORD).status_code == 302
    assert client.get("/admin/profile").status_code == 200


def test_a_refused_password_changes_nothing(client, auth, owner):
    auth.login(owner.email)
    with pytest.raises(ValidationError):
        accounts.set_password(owner, "short")
    assert client.get("/admin/profile").status_code == 200


def test_a_signed_cookie_without_an_open_login_is_not_a_session(client, owner):
    """A cookie signed with the right key but naming no open login (one from before this change,
    or made up by someone who learned SECRET_KEY) logs nobody in."""
    with client.session_transaction() as session:
        session["_user_id"] = str(owner.id)
        session["_fresh"] = True
    assert sends_to_login(client)
    with client.session_transaction() as session:
        session[LOGIN_KEY] = "made-up"
    assert sends_to_login(client)


def test_a_login_ends_after_the_session_lifetime(app, client, auth, owner):
    auth.login(owner.email)
    lifetime = app.config["PERMANENT_SESSION_LIFETIME"]
    db.session.execute(
        update(LoginSession).values(created_at=LoginSession.created_at - lifetime - timedelta(1))
    )
    db.session.commit()
    assert sends_to_login(client)
    auth.login(owner.email)  # and the expired row is cleared away by the next login
    assert open_sessions() == 1


def test_cli_set_password_prompts_hidden_and_ends_sessions(client, auth, owner, runner):
    auth.login(owner.email)
    email = owner.email
    entered = f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n"
    result = runner.invoke(args=["users", "set-password", email], input=entered)
    assert result.exit_code == 0, result.output
    assert NEW_PASSWORD not in result.output  # hidden input: never echoed
    assert f"Password changed: {email}" in result.output
    assert sends_to_login(client)
    assert auth.login(email, NEW_PASSWORD).status_code == 302


@pytest.mark.parametrize(
    ("arguments", "entered", "message"),
    [
        (["nobody@example.com"], "", "Unknown user: nobody@example.com"),
        (["owner@example.com"], "short\nshort\n", "Password must be at least 8 characters."),
    ],
)
def test_cli_set_password_refuses_cleanly(owner, runner, arguments, entered, message):
    result = runner.invoke(args=["users", "set-password", *arguments], input=entered)
    assert result.exit_code == 1
    assert message in result.output
