"""The two apps: the path dispatcher, the machine app's JSON-only answers, and the back-office's
hooks, session and error pages kept away from machine paths."""

import http.client
import logging
from urllib.parse import urlsplit

import pytest
import requests
from flask import Blueprint

from oauthsrv import create_app, machine_app_of
from oauthsrv.dispatch import is_machine_path
from oauthsrv.extensions import db
from oauthsrv.models import Organization
from oauthsrv.security import SECURITY_HEADERS
from tests.conftest import ISSUER, TEST_PASSWORD

GRANT = {"grant_type": "client_credentials"}
JSON_API = "application/vnd.api+json"
OAUTH_STYLE = "application/json"

# Every machine mount, its bare form and unknown paths under it, with the error format it uses.
UNKNOWN_MACHINE_PATHS = [
    ("/.well-known/openid-configuration", OAUTH_STYLE),
    ("/.well-known/nope", OAUTH_STYLE),
    ("/.well-known/", OAUTH_STYLE),
    ("/.well-known", OAUTH_STYLE),
    ("/.well-known/%FF", OAUTH_STYLE),
    ("/.well-known/oauth-authorization-server/x", OAUTH_STYLE),
    ("/.well-known/oauth-protected-resource", OAUTH_STYLE),
    ("/.well-known/jwks.json/x", OAUTH_STYLE),
    ("/oauth2-token/x", OAUTH_STYLE),
    ("/oauth2-token/introspect/x", OAUTH_STYLE),
    ("/oauth2-token/", OAUTH_STYLE),
    ("/admin/api/nope", JSON_API),
    ("/admin/api/", JSON_API),
    ("/admin/api", JSON_API),
    ("/admin/api/users/not-a-number", JSON_API),  # routed only for numeric ids
    ("/api/nope", JSON_API),
    ("/api/", JSON_API),
    ("/api", JSON_API),
    # No HTML redirect to the merged path: a 404 like any other unknown path.
    ("/admin/api//me", JSON_API),
    ("/api//me", JSON_API),
    ("/.well-known//jwks.json", OAUTH_STYLE),
    ("/oauth2-token//revoke", OAUTH_STYLE),
]
# Look like machine paths to a careless prefix test, but are the back-office's.
BACK_OFFICE_LOOKALIKES = ["/oauth2-tokens", "/apix", "/api-docs", "/admin/apis", "/.well-knownx"]


def assert_machine_answer(response, status: int, content_type: str) -> None:
    """JSON, never stored, the security headers once each, no cookie."""
    assert response.status_code == status
    assert response.headers["Content-Type"] == content_type
    assert response.get_json() is not None
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Pragma"] == "no-cache"
    for name, value in SECURITY_HEADERS:
        assert response.headers.getlist(name) == [value], name
    assert "Set-Cookie" not in response.headers


def assert_error_body(response, status: int, content_type: str) -> None:
    body = response.get_json()
    if content_type == JSON_API:
        assert body["errors"][0]["status"] == str(status)
    else:
        assert body["error"] and body["error_description"]


@pytest.mark.parametrize("path, content_type", UNKNOWN_MACHINE_PATHS)
def test_unknown_machine_paths_are_json_404s(client, path, content_type):
    response = client.get(path)
    assert_machine_answer(response, 404, content_type)
    assert_error_body(response, 404, content_type)


@pytest.mark.parametrize("path", BACK_OFFICE_LOOKALIKES)
def test_lookalike_paths_get_the_back_office_html_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.content_type.startswith("text/html")
    assert "Not Found" in response.get_data(as_text=True)
    assert "no-store" not in response.headers.get("Cache-Control", "")


def test_the_dispatcher_mounts_exactly_the_machine_prefixes():
    mounted = ["/oauth2-token", "/oauth2-token/revoke", "/.well-known/x", "/api", "/admin/api/me"]
    mounted += ["/healthz", "/readyz"]
    assert all(is_machine_path(path) for path in mounted)
    others = ["/", "/admin", "/admin/login", "/static/css/app.css", *BACK_OFFICE_LOOKALIKES]
    assert not any(is_machine_path(path) for path in others)


def test_discovery_stays_cacheable_but_its_errors_do_not(client):
    for path in ("/.well-known/jwks.json", "/.well-known/oauth-authorization-server"):
        found = client.get(path)
        assert found.status_code == 200
        assert found.headers["Cache-Control"] == "public, max-age=300"
        assert "Pragma" not in found.headers
        assert found.headers["X-Content-Type-Options"] == "nosniff"
        refused = client.post(path)
        assert_machine_answer(refused, 405, OAUTH_STYLE)
        assert "GET" in refused.headers["Allow"]


@pytest.mark.parametrize(
    "method, path, content_type, allowed",
    [
        ("GET", "/oauth2-token", OAUTH_STYLE, "POST"),
        ("PUT", "/oauth2-token/introspect", OAUTH_STYLE, "POST"),
        ("DELETE", "/oauth2-token/revoke", OAUTH_STYLE, "POST"),
        ("POST", "/.well-known/jwks.json", OAUTH_STYLE, "GET"),
        ("POST", "/admin/api/me", JSON_API, "GET"),
        ("DELETE", "/admin/api/users/1", JSON_API, "GET"),
        ("PATCH", "/api/me", JSON_API, "GET"),
    ],
)
def test_wrong_methods_are_json_405s(client, method, path, content_type, allowed):
    response = client.open(path, method=method)
    assert_machine_answer(response, 405, content_type)
    assert_error_body(response, 405, content_type)
    assert allowed in response.headers["Allow"]


@pytest.mark.parametrize(
    "path, content_type",
    [
        ("/oauth2-token", OAUTH_STYLE),
        ("/oauth2-token/introspect", OAUTH_STYLE),
        ("/oauth2-token/revoke", OAUTH_STYLE),
    ],
)
def test_oversized_token_requests_are_json_413s(client, path, content_type):
    response = client.post(path, data={**GRANT, "padding": "x" * 70_000})
    assert_machine_answer(response, 413, content_type)
    assert response.get_json()["error"] == "invalid_request"


@pytest.mark.parametrize("path", ["/admin/api/me", "/api/me"])
def test_oversized_api_requests_are_json_413s(client, path):
    # A form body is read (a token sent there is refused): reading past the limit is a 413.
    response = client.get(
        path, data="access_token=" + "x" * 70_000, content_type="application/x-www-form-urlencoded"
    )
    assert_machine_answer(response, 413, JSON_API)
    assert_error_body(response, 413, JSON_API)


def test_automatic_options_answers_are_machine_answers(client):
    response = client.open("/admin/api/me", method="OPTIONS")
    assert response.status_code == 200
    assert "GET" in response.headers["Allow"]
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "Set-Cookie" not in response.headers


@pytest.fixture
def crashing_app(app_config):
    """An app whose machine app has views that crash (after writing), served as in production."""
    app = create_app({**app_config, "TESTING": False, "PROPAGATE_EXCEPTIONS": False})
    crash = Blueprint("crash", __name__)

    def write_then_crash():
        db.session.add(Organization(name="Written before the crash"))
        db.session.flush()
        raise ZeroDivisionError("boom")

    paths = ("/admin/api/crash", "/api/crash", "/oauth2-token/crash", "/.well-known/crash")
    for index, path in enumerate(paths):
        crash.add_url_rule(path, f"crash_{index}", write_then_crash)
    machine_app_of(app).register_blueprint(crash)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize(
    "path, content_type",
    [
        ("/admin/api/crash", JSON_API),
        ("/api/crash", JSON_API),
        ("/oauth2-token/crash", OAUTH_STYLE),
        ("/.well-known/crash", OAUTH_STYLE),
    ],
)
def test_a_crash_on_a_machine_path_is_json_logged_once_and_rolled_back(
    crashing_app, monkeypatch, caplog, path, content_type
):
    rollbacks = []
    rollback = db.session.rollback
    monkeypatch.setattr(db.session, "rollback", lambda: rollbacks.append(1) or rollback())
    with caplog.at_level(logging.INFO):
        response = crashing_app.test_client().get(path)
    assert_machine_answer(response, 500, content_type)
    assert "ZeroDivisionError" not in response.get_data(as_text=True)
    if content_type == OAUTH_STYLE:
        assert response.get_json()["error"] == "server_error"
    else:
        assert response.get_json()["errors"][0]["status"] == "500"
    traced = [record for record in caplog.records if record.exc_info]
    assert len(traced) == 1 and traced[0].exc_info[0] is ZeroDivisionError
    assert rollbacks
    with crashing_app.app_context():
        assert (
            db.session.query(Organization).filter_by(name="Written before the crash").count() == 0
        )


def test_a_back_office_session_cookie_is_ignored_and_none_comes_back(client, auth, owner, backend):
    assert auth.login(email=owner.email, password=TEST_PASSWORD).status_code == 302
    assert client.get("/admin/profile").status_code == 200  # the cookie is a valid session
    assert client.get_cookie("session") is not None
    issued = client.post("/oauth2-token", data={**GRANT, **backend.body})
    assert_machine_answer(issued, 200, "application/json")
    bearer = {"Authorization": "Bearer " + issued.get_json()["access_token"]}
    answers = [
        client.get("/admin/api/me", headers=bearer),
        client.get("/admin/api/me"),  # the cookie alone: no credentials at all
        client.get("/api/me"),
        client.get("/.well-known/nope"),
        client.post("/oauth2-token", data=GRANT),
    ]
    assert [answer.status_code for answer in answers] == [200, 401, 401, 404, 401]
    for answer in answers:
        assert "Set-Cookie" not in answer.headers
        assert "Cookie" not in answer.headers.get("Vary", "")
    assert client.get("/admin/profile").status_code == 200  # and the session is untouched


def test_back_office_hooks_never_run_for_machine_paths(app, client, backend):
    calls = []
    machine_calls = []

    def counted(function, log):
        def wrapper(*args, **kwargs):
            log.append(function)
            return function(*args, **kwargs)

        return wrapper

    for registry in (app.before_request_funcs, app.after_request_funcs):
        for key, functions in registry.items():
            registry[key] = [counted(function, calls) for function in functions]
    for key, functions in app.teardown_request_funcs.items():
        app.teardown_request_funcs[key] = [counted(function, calls) for function in functions]
    interface = app.session_interface
    for name in ("open_session", "save_session"):
        setattr(interface, name, counted(getattr(interface, name), calls))
    machine = machine_app_of(app)
    for registry in (machine.before_request_funcs, machine.after_request_funcs):
        for key, functions in registry.items():
            registry[key] = [counted(function, machine_calls) for function in functions]

    issued = client.post("/oauth2-token", data={**GRANT, **backend.body})
    bearer = {"Authorization": "Bearer " + issued.get_json()["access_token"]}
    for response in (
        issued,
        client.get("/admin/api/me", headers=bearer),
        client.get("/api/nope"),
        client.get("/.well-known/jwks.json"),
        client.get("/oauth2-token/x"),
        client.get("/oauth2-token"),
    ):
        assert response.headers["Cache-Control"] in ("no-store", "public, max-age=300")
    assert calls == []
    # The oauth blueprint's CORS hook is the only request hook of the machine app.
    assert {function.__name__ for function in machine_calls} == {"add_cors_headers"}

    assert client.get("/admin/login").status_code == 200  # the control: they do run here
    assert len(calls) >= 4


def test_the_machine_app_installs_only_what_machines_need(app):
    machine = machine_app_of(app)
    assert machine is not app and machine.config is app.config
    assert not hasattr(machine, "login_manager")
    assert "csrf" not in machine.extensions and "mail" not in machine.extensions
    assert machine.template_folder is None and machine.static_folder is None
    assert not machine.before_request_funcs and not machine.after_request_funcs.get(None)
    assert {rule.endpoint.split(".")[0] for rule in machine.url_map.iter_rules()} == {
        "oauth",
        "api_backend",
        "api_frontend",
        "health",
    }
    assert not any(is_machine_path(rule.rule) for rule in app.url_map.iter_rules())
    assert all(is_machine_path(rule.rule) for rule in machine.url_map.iter_rules())


def test_both_apps_share_one_engine(app):
    with app.app_context():
        engine = db.engine
    with machine_app_of(app).app_context():
        assert db.engine is engine


def test_a_config_change_is_seen_by_both_apps(app, client):
    app.config["OAUTH_ISSUER"] = "https://auth.example.com"
    document = client.get("/.well-known/oauth-authorization-server").get_json()
    assert document["token_endpoint"] == "https://auth.example.com/oauth2-token"


@pytest.fixture
def proxied_client(app_config):
    app = create_app({**app_config, "TRUSTED_PROXIES": 1})
    yield app.test_client()
    with app.app_context():
        db.engine.dispose()


def test_trusted_proxy_headers_apply_to_both_apps(proxied_client, backend):
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "auth.example.com"}
    # Over plain HTTP Authlib refuses any host but localhost: HTTPS as the proxy saw it passes.
    issued = proxied_client.post(
        "/oauth2-token",
        data={"grant_type": "client_credentials", **backend.body},
        headers=forwarded,
    )
    assert issued.status_code == 200
    # The issuer stays the configured one: a forwarded host is no more trusted than Host.
    metadata = proxied_client.get("/.well-known/oauth-authorization-server", headers=forwarded)
    assert metadata.get_json()["issuer"] == ISSUER
    page = proxied_client.get("/admin/login", headers=forwarded)
    assert "Secure" in page.headers["Set-Cookie"]


def raw_get(url: str, path: str) -> http.client.HTTPResponse:
    """A GET sent byte for byte (requests would normalise `%FF` and friends)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    connection.request("GET", path)
    response = connection.getresponse()
    response.body = response.read()
    connection.close()
    return response


def test_the_served_app_dispatches_by_path(live_server, owner, backend):
    for path, content_type in UNKNOWN_MACHINE_PATHS:
        response = raw_get(live_server.url, path)
        assert (response.status, response.getheader("Content-Type")) == (404, content_type), path
        assert response.getheader("Cache-Control") == "no-store", path
        assert response.getheader("Set-Cookie") is None, path
    lookalike = raw_get(live_server.url, "/oauth2-tokens")
    assert lookalike.status == 404 and lookalike.getheader("Content-Type").startswith("text/html")
    with requests.Session() as browser:
        login = browser.post(
            live_server.url + "/admin/login",
            data={"email": owner.email, "password": TEST_PASSWORD},
            timeout=10,
        )
        assert login.status_code == 200 and browser.cookies.get("session")
        issued = browser.post(live_server.url + "/oauth2-token", data={**GRANT, **backend.body})
        token = issued.json()["access_token"]
        me = browser.get(
            live_server.url + "/admin/api/me",
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
    assert (issued.status_code, me.status_code) == (200, 200)
    assert "Set-Cookie" not in issued.headers and "Set-Cookie" not in me.headers
    assert me.json()["data"]["attributes"]["email"] == owner.email


@pytest.mark.parametrize("path", ["/admin/api/nope", "/api/nope", "/admin/api/users/abc"])
def test_unknown_api_paths_say_resource_not_found_in_our_words(client, path):
    response = client.get(path)
    assert response.status_code == 404
    detail = response.get_json()["errors"][0]["detail"]
    assert detail == "Resource not found."
    assert "spelling" not in response.get_data(as_text=True)
