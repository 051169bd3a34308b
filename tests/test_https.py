"""Over HTTPS (direct, or as a trusted proxy says: TRUSTED_PROXIES): a `__Host-` session cookie
that is Secure with Path=/ and no Domain, a Secure signed-in cookie, and HSTS on every answer of
both apps; CSP `base-uri 'none'` always. A proxy header from an untrusted peer changes nothing."""

import pytest
from flask import Blueprint

from oauthsrv import create_app, machine_app_of
from oauthsrv.extensions import db
from tests.conftest import TEST_PASSWORD

HSTS = "max-age=31536000"
VIA_PROXY = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}


@pytest.fixture
def app_config(app_config):
    return {**app_config, "TRUSTED_PROXIES": 1}


def set_cookies(response) -> dict[str, str]:
    """Set-Cookie headers by cookie name."""
    return {value.split("=", 1)[0]: value for value in response.headers.getlist("Set-Cookie")}


def test_session_cookie_over_https_is_host_prefixed_and_secure(client):
    cookies = set_cookies(client.get("/admin/login", headers=VIA_PROXY))
    assert list(cookies) == ["__Host-session"]
    attributes = [part.strip() for part in cookies["__Host-session"].split(";")[1:]]
    assert "Secure" in attributes and "HttpOnly" in attributes and "Path=/" in attributes
    assert "SameSite=Lax" in attributes
    assert not [part for part in attributes if part.lower().startswith("domain")]


def test_a_whole_login_over_https(client, owner):
    data = {"email": owner.email, "password": TEST_PASSWORD}
    login = client.post("/admin/login", data=data, headers=VIA_PROXY)
    assert login.status_code == 302
    cookies = set_cookies(login)
    assert set(cookies) == {"__Host-session", "oauthsrv_signed_in"}
    assert "; Secure" in cookies["oauthsrv_signed_in"]
    assert client.get("/admin/profile", headers=VIA_PROXY).status_code == 200
    # The plain-HTTP cookie name is another cookie: it carries no HTTPS session.
    assert client.get("/admin/profile").status_code == 302
    logout = client.post("/admin/logout", headers=VIA_PROXY)
    assert "; Secure" in set_cookies(logout)["oauthsrv_signed_in"]  # removed, with its flags


def test_over_plain_http_the_cookies_keep_their_names_and_no_hsts(client, owner):
    login = client.post("/admin/login", data={"email": owner.email, "password": TEST_PASSWORD})
    cookies = set_cookies(login)
    assert set(cookies) == {"session", "oauthsrv_signed_in"}
    assert "Secure" not in cookies["session"] and "Secure" not in cookies["oauthsrv_signed_in"]
    assert "Strict-Transport-Security" not in login.headers


def test_an_untrusted_proxy_header_is_ignored(app_config):
    app = create_app({**app_config, "TRUSTED_PROXIES": 0})
    answer = app.test_client().get("/admin/login", headers=VIA_PROXY)
    assert list(set_cookies(answer)) == ["session"]
    assert "Strict-Transport-Security" not in answer.headers
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def https_app(app_config):
    """Production error handling (no propagation) and a route of each app that crashes."""
    app = create_app({**app_config, "TESTING": False, "PROPAGATE_EXCEPTIONS": False})
    boom = Blueprint("boom", __name__)
    boom.add_url_rule("/admin/boom", "page", lambda: 1 / 0)
    app.register_blueprint(boom)
    machine_boom = Blueprint("boom", __name__)
    machine_boom.add_url_rule("/admin/api/boom", "api", lambda: 1 / 0)
    machine_app_of(app).register_blueprint(machine_boom)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/admin/login", 200),
        ("GET", "/admin/profile", 302),
        ("GET", "/admin/nope", 404),
        ("GET", "/admin/boom", 500),
        ("GET", "/static/favicon.svg", 200),
        ("POST", "/oauth2-token", 400),
        ("GET", "/oauth2-token", 405),
        ("GET", "/.well-known/jwks.json", 200),
        ("GET", "/.well-known/oauth-authorization-server", 200),
        ("GET", "/.well-known/nope", 404),
        ("GET", "/admin/api/me", 401),
        ("GET", "/admin/api/boom", 500),
        ("GET", "/healthz", 200),
    ],
)
def test_every_https_answer_of_both_apps_carries_hsts(https_app, method, path, status):
    client = https_app.test_client()

    def hsts(**kwargs):
        with client.open(path, method=method, **kwargs) as response:  # closes file answers
            assert response.status_code == status
            return response.headers.getlist("Strict-Transport-Security")

    assert hsts(headers=VIA_PROXY) == [HSTS]
    assert hsts(base_url="https://localhost") == [HSTS]
    assert hsts() == []


@pytest.mark.parametrize("path", ["/admin/login", "/oauth2-token", "/admin/api/me"])
def test_csp_forbids_base_elements(client, path):
    policy = client.get(path).headers["Content-Security-Policy"]
    assert "base-uri 'none'" in policy.split("; ")
