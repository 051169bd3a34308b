"""RFC 7662 introspection and RFC 7009 revocation, through Authlib's client against a served app."""

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from oauth_helpers import INTROSPECTION_PATH, REVOCATION_PATH, TOKEN_PATH

from oauthsrv.services import token_verification, tokens


@pytest.fixture
def session_for():
    """Authlib client sessions for an application's credentials, closed after the test."""
    opened = []

    def make(creds, method="client_secret_basic") -> OAuth2Session:
        session = OAuth2Session(creds.client_id, creds.secret, token_endpoint_auth_method=method)
        opened.append(session)
        return session

    yield make
    for session in opened:
        session.close()


@pytest.fixture
def fetch(session_for):
    """Get a token for an application from the served app."""

    def get(live_server, creds) -> str:
        url = live_server.url + TOKEN_PATH
        token = session_for(creds).fetch_token(url, grant_type="client_credentials")
        return token["access_token"]

    return get


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_a_client_introspects_its_own_token(live_server, backend, method, session_for, fetch):
    token = fetch(live_server, backend)
    response = session_for(backend, method).introspect_token(
        live_server.url + INTROSPECTION_PATH, token=token
    )
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json()
    assert body["active"] is True
    assert body["client_id"] == body["sub"] == backend.client_id
    assert body["aud"] == live_server.url + "/admin/api" and body["iss"] == live_server.url
    assert body["scope"] == "profile:read users:read applications:read"
    assert body["exp"] > body["iat"] and body["token_type"] == "Bearer"


def test_another_clients_token_introspects_as_inactive(
    live_server, backend, frontend, session_for, fetch
):
    token = fetch(live_server, frontend)
    response = session_for(backend).introspect_token(
        live_server.url + INTROSPECTION_PATH, token=token
    )
    assert response.json() == {"active": False}


@pytest.mark.parametrize("token", ["garbage", "a.b.c", "x" * 10_000])
def test_garbage_introspects_as_inactive(live_server, backend, token, session_for):
    response = session_for(backend).introspect_token(
        live_server.url + INTROSPECTION_PATH, token=token
    )
    assert response.status_code == 200 and response.json() == {"active": False}


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_revoking_a_token_kills_it_at_once(app, live_server, backend, method, session_for, fetch):
    token = fetch(live_server, backend)
    response = session_for(backend, method).revoke_token(
        live_server.url + REVOCATION_PATH, token=token
    )
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    introspected = session_for(backend).introspect_token(
        live_server.url + INTROSPECTION_PATH, token=token
    )
    assert introspected.json() == {"active": False}
    with app.test_request_context(base_url=live_server.url):
        with pytest.raises(tokens.InvalidToken):
            token_verification.verify_access_token(token, tokens.audience_for("backend"))
        # Only that token: a new one works.
        fresh = fetch(live_server, backend)
        assert token_verification.verify_access_token(fresh, tokens.audience_for("backend"))


def test_revoking_another_clients_token_is_refused_and_changes_nothing(
    app, live_server, backend, frontend, session_for, fetch
):
    token = fetch(live_server, frontend)
    response = session_for(backend).revoke_token(live_server.url + REVOCATION_PATH, token=token)
    assert response.status_code == 400
    assert response.json()["error"] == "unauthorized_client"
    with app.test_request_context(base_url=live_server.url):
        assert token_verification.verify_access_token(token, tokens.audience_for("frontend"))


@pytest.mark.parametrize("token", ["garbage", "a.b.c"])
def test_revoking_garbage_is_a_harmless_200(live_server, backend, token, session_for):
    response = session_for(backend).revoke_token(live_server.url + REVOCATION_PATH, token=token)
    assert response.status_code == 200


def test_revoking_twice_is_fine(live_server, backend, session_for, fetch):
    token = fetch(live_server, backend)
    for _ in range(2):
        response = session_for(backend).revoke_token(
            live_server.url + REVOCATION_PATH, token=token, token_type_hint="access_token"
        )
        assert response.status_code == 200


ENDPOINTS = [INTROSPECTION_PATH, REVOCATION_PATH]


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize(
    "build, status, error",
    [
        (lambda c: {"data": {"token": "x"}}, 401, "invalid_client"),
        (
            lambda c: {"data": {"token": "x", **c.body, "client_secret": "no"}},
            401,
            "invalid_client",
        ),
        (lambda c: {"data": {}, "headers": c.basic}, 400, "invalid_request"),
        (lambda c: {"data": {"token": "x", **c.body}, "headers": c.basic}, 400, "invalid_request"),
        (lambda c: {"data": {"token": "x"}, "params": c.body}, 400, "invalid_request"),
        (
            lambda c: {"data": "token=x", "headers": {**c.basic, "Content-Type": "text/plain"}},
            400,
            "invalid_request",
        ),
        (lambda c: {"method": "GET", "headers": c.basic}, 405, "invalid_request"),
    ],
    ids=[
        "no-client-auth",
        "wrong-secret",
        "missing-token",
        "credentials-twice",
        "credentials-in-query",
        "text-plain",
        "get",
    ],
)
def test_error_rows(live_server, backend, path, build, status, error):
    kwargs = build(backend)
    method = kwargs.pop("method", "POST")
    response = requests.request(method, live_server.url + path, timeout=10, **kwargs)
    assert response.status_code == status
    assert response.json()["error"] == error
    assert response.headers["Cache-Control"] == "no-store"
    if status == 401:
        assert response.headers["WWW-Authenticate"] == 'Basic realm="oauthsrv"'


def test_json_bodies_are_accepted_too(live_server, backend, fetch):
    token = fetch(live_server, backend)
    response = requests.post(
        live_server.url + INTROSPECTION_PATH, json={"token": token, **backend.body}, timeout=10
    )
    assert response.json()["active"] is True
