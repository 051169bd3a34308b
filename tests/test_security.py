"""CSRF, security headers, cookies and error pages."""

import pytest
from flask import Blueprint, abort

from oauthsrv import create_app, machine_app_of
from oauthsrv.extensions import db
from tests.conftest import TEST_PASSWORD


@pytest.fixture
def app_config(app_config):
    return {**app_config, "WTF_CSRF_ENABLED": True}


def csrf_token_from(client, path="/admin/login"):
    html = client.get(path).get_data(as_text=True)
    return html.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]


def test_login_without_csrf_token_is_rejected(client, make_user):
    make_user(email="ann@example.com")
    response = client.post(
        "/admin/login", data={"email": "ann@example.com", "password": TEST_PASSWORD}
    )
    assert response.status_code == 400
    assert "The form expired" in response.get_data(as_text=True)
    assert client.get("/admin/profile").status_code == 302


def test_login_with_csrf_token_works(client, make_user):
    make_user(email="ann@example.com")
    token = csrf_token_from(client)
    response = client.post(
        "/admin/login",
        data={"email": "ann@example.com", "password": TEST_PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302


def logged_in(client):
    token = csrf_token_from(client)
    client.post(
        "/admin/login",
        data={"email": "ann@example.com", "password": TEST_PASSWORD, "csrf_token": token},
    )


def test_htmx_post_needs_the_x_csrftoken_header(client, make_user):
    make_user(email="ann@example.com", orgs=("Acme", "Globex"))
    logged_in(client)
    html = client.get("/admin/profile").get_data(as_text=True)
    header_token = html.split('"X-CSRFToken": "')[1].split('"')[0]
    without = client.post("/admin/logout", headers={"HX-Request": "true"})
    assert without.status_code == 400
    assert client.get("/admin/profile").status_code == 200
    with_header = client.post(
        "/admin/logout", headers={"HX-Request": "true", "X-CSRFToken": header_token}
    )
    assert with_header.status_code == 302
    assert client.get("/admin/profile").status_code == 302


def test_security_headers_on_pages(client):
    response = client.get("/admin/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def machine_answers(client, creds) -> dict:
    """Token-endpoint and API answers, which are built with their headers (MachineResponse)."""
    grant = {"grant_type": "client_credentials"}
    issued = client.post("/oauth2-token", data={**grant, **creds.body})
    bearer = {"Authorization": f"Bearer {issued.get_json()['access_token']}"}
    return {
        "token issued": issued,
        "token refused": client.post("/oauth2-token", data={**grant, "client_id": "x"}),
        "API document": client.get("/admin/api/me", headers=bearer),
        "API refusal": client.get("/admin/api/me"),
    }


def test_machine_answers_carry_the_security_headers_and_no_store(client, backend):
    answers = machine_answers(client, backend)
    assert [answers[name].status_code for name in answers] == [200, 401, 200, 401]
    assert answers["API document"].headers["Vary"] == "Authorization"
    for name, response in answers.items():
        assert response.headers["Cache-Control"] == "no-store", name
        assert response.headers["Pragma"] == "no-cache", name
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"], name
        assert response.headers["X-Frame-Options"] == "DENY", name
        assert response.headers["X-Content-Type-Options"] == "nosniff", name
        # Built once: no header twice (the app-wide hooks leave these answers alone).
        names = [key.lower() for key, _ in response.headers]
        assert len(names) == len(set(names)), name


def test_session_cookie_is_httponly_and_lax(client):
    cookie = client.get("/admin/login").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_session_cookie_is_secure_over_https(client):
    cookie = client.get("/admin/login", base_url="https://localhost").headers["Set-Cookie"]
    assert "Secure" in cookie


def test_unknown_back_office_page_is_an_html_404(client):
    response = client.get("/admin/nothing-here")
    assert response.status_code == 404
    assert response.content_type.startswith("text/html")
    assert "Not Found" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/api/nothing", "/admin/api/nothing"])
def test_unknown_api_path_is_a_json_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.content_type == "application/vnd.api+json"
    assert response.get_json()["errors"][0]["status"] == "404"


def test_405_keeps_the_allow_header(client):
    response = client.get("/admin/logout")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]


@pytest.fixture
def failing_app(app_config):
    """An app with routes that crash, served with debug off as in production."""
    app = create_app({**app_config, "TESTING": False, "PROPAGATE_EXCEPTIONS": False})
    boom = Blueprint("boom", __name__)
    boom.add_url_rule("/admin/boom", "page", lambda: 1 / 0)
    boom.add_url_rule("/admin/forbidden", "forbidden", lambda: abort(403))
    app.register_blueprint(boom)
    machine_boom = Blueprint("boom", __name__)  # API paths are the machine app's
    machine_boom.add_url_rule("/admin/api/boom", "api", lambda: 1 / 0)
    machine_app_of(app).register_blueprint(machine_boom)
    yield app
    with app.app_context():
        db.engine.dispose()  # closed now: collected later, psycopg's open connections warn


def test_a_crash_shows_no_stack_trace(failing_app, caplog):
    client = failing_app.test_client()
    page = client.get("/admin/boom")
    assert page.status_code == 500
    assert "ZeroDivisionError" not in page.get_data(as_text=True)
    assert "Something went wrong" in page.get_data(as_text=True)
    api = client.get("/admin/api/boom")
    assert api.status_code == 500 and api.get_json()["errors"][0]["status"] == "500"
    assert "ZeroDivisionError" not in api.get_data(as_text=True)
    assert "ZeroDivisionError" in caplog.text  # operators still get the trace in the log


def test_403_page(failing_app):
    response = failing_app.test_client().get("/admin/forbidden")
    assert response.status_code == 403
    assert "permission" in response.get_data(as_text=True)
