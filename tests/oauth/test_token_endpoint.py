"""POST /oauth2-token: real OAuth clients, the token contract and every error row of the issue."""

import base64
import json
import logging
from pathlib import Path

import jwt
import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from oauth_helpers import GRANT, JWKS_PATH, TOKEN_PATH, basic, credentials
from oauthlib.oauth2 import BackendApplicationClient
from requests_oauthlib import OAuth2Session as RequestsOAuth2Session

from oauthsrv.extensions import db
from oauthsrv.services import accounts, applications

BACKEND_SCOPES = "profile:read users:read applications:read"


def verify_with_jwks(base_url: str, token: str, audience: str) -> dict:
    """Verify a token the way a resource server would: keys from our JWKS via PyJWKClient."""
    signing_key = jwt.PyJWKClient(base_url + JWKS_PATH).get_signing_key_from_jwt(token)
    return jwt.decode(
        token, signing_key.key, algorithms=["RS256"], audience=audience, issuer=base_url
    )


# -- real clients against a served app --------------------------------------------------------


@pytest.mark.parametrize("include_client_id", [False, True], ids=["basic", "body"])
def test_requests_oauthlib_backend_client_gets_a_verifiable_token(
    live_server, backend, include_client_id, monkeypatch
):
    # oauthlib insists on HTTPS; the served app listens on plain HTTP on 127.0.0.1.
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    client = BackendApplicationClient(client_id=backend.client_id)
    with RequestsOAuth2Session(client=client) as session:
        token = session.fetch_token(
            live_server.url + TOKEN_PATH,
            client_id=backend.client_id,
            client_secret=backend.secret,
            include_client_id=include_client_id,
        )
    assert token["token_type"] == "Bearer"
    assert token["expires_in"] == 3600
    assert token["scope"] == BACKEND_SCOPES.split()  # oauthlib splits the scope
    assert "refresh_token" not in token
    claims = verify_with_jwks(
        live_server.url, token["access_token"], live_server.url + "/admin/api"
    )
    assert claims["client_id"] == claims["sub"] == backend.client_id


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_authlib_session_gets_a_verifiable_token(live_server, backend, method):
    with OAuth2Session(
        backend.client_id, backend.secret, token_endpoint_auth_method=method
    ) as session:
        token = session.fetch_token(
            live_server.url + TOKEN_PATH, grant_type="client_credentials", scope="users:read"
        )
    assert token["scope"] == "users:read"
    claims = verify_with_jwks(
        live_server.url, token["access_token"], live_server.url + "/admin/api"
    )
    assert claims["scope"] == "users:read"


def test_token_follows_rfc_9068_with_our_claims(live_server, backend):
    response = requests.post(
        live_server.url + TOKEN_PATH,
        data={"grant_type": "client_credentials"},
        headers=backend.basic,
        timeout=10,
    )
    body = response.json()
    assert list(body) == ["token_type", "expires_in", "access_token", "scope"]
    header = jwt.get_unverified_header(body["access_token"])
    assert header["typ"] == "at+jwt" and header["alg"] == "RS256"
    jwks = requests.get(live_server.url + JWKS_PATH, timeout=10).json()
    assert header["kid"] in [key["kid"] for key in jwks["keys"]]
    claims = verify_with_jwks(live_server.url, body["access_token"], live_server.url + "/admin/api")
    application = backend.application
    assert claims["iss"] == live_server.url
    assert claims["org_id"] == application.organization_id
    assert claims["gen"] == application.generation
    assert claims["scope"] == BACKEND_SCOPES
    assert claims["exp"] - claims["iat"] == 3600 and claims["nbf"] == claims["iat"]
    assert len(claims["jti"]) >= 16


def test_frontend_tokens_have_the_storefront_audience(live_server, frontend):
    response = requests.post(
        live_server.url + TOKEN_PATH,
        json={"grant_type": "client_credentials", **frontend.body},
        timeout=10,
    )
    token = response.json()["access_token"]
    claims = verify_with_jwks(live_server.url, token, live_server.url + "/api")
    assert claims["scope"] == "customer:read"
    with pytest.raises(jwt.InvalidAudienceError):
        verify_with_jwks(live_server.url, token, live_server.url + "/admin/api")


def test_configured_issuer_wins_over_the_request_url(app, client, backend):
    app.config["OAUTH_ISSUER"] = "https://auth.example.com/"
    body = client.post(
        TOKEN_PATH, data={"grant_type": "client_credentials", **backend.body}
    ).get_json()
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["iss"] == "https://auth.example.com"
    assert claims["aud"] == "https://auth.example.com/admin/api"


def test_ttl_comes_from_config(app, client, backend):
    app.config["OAUTH_ACCESS_TOKEN_TTL"] = 600
    body = client.post(
        TOKEN_PATH, data={"grant_type": "client_credentials", **backend.body}
    ).get_json()
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert body["expires_in"] == 600 and claims["exp"] - claims["iat"] == 600


# -- body formats and scopes ------------------------------------------------------------------


@pytest.mark.parametrize(
    "extra, granted",
    [
        ({}, BACKEND_SCOPES),
        ({"scope": "users:read"}, "users:read"),
        ({"scopes": "users:read profile:read"}, "profile:read users:read"),
        ({"scope": "users:read", "scopes": "users:read"}, "users:read"),
        ({"scope": ""}, BACKEND_SCOPES),
    ],
    ids=["omitted", "scope", "oro-scopes", "both-equal", "blank"],
)
@pytest.mark.parametrize("as_json", [False, True], ids=["form", "json"])
def test_scopes_granted(client, backend, extra, granted, as_json):
    payload = {"grant_type": "client_credentials", **backend.body, **extra}
    send = {"json": payload} if as_json else {"data": payload}
    response = client.post(TOKEN_PATH, **send)
    assert response.status_code == 200
    assert response.get_json()["scope"] == granted


def test_only_the_applications_allowed_scopes_are_granted(client, owner, make_application):
    creds = make_application(owner, name="Narrow", scopes=["users:read"])
    application, secret = creds
    data = {"grant_type": "client_credentials", "client_id": application.client_id}
    data["client_secret"] = secret
    assert client.post(TOKEN_PATH, data=data).get_json()["scope"] == "users:read"
    response = client.post(TOKEN_PATH, data={**data, "scope": "profile:read"})
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_scope"


def test_basic_credentials_are_form_url_decoded(client, backend):
    raw = f"{backend.client_id}:{backend.secret}".replace("-", "%2D").encode()
    headers = {"Authorization": "Basic " + base64.b64encode(raw).decode()}
    response = client.post(TOKEN_PATH, data={"grant_type": "client_credentials"}, headers=headers)
    assert response.status_code == 200


# -- the error rows ---------------------------------------------------------------------------


def _form(creds, **extra):
    return {"data": {**GRANT, **creds.body, **extra}}


def _deactivated_app(creds, app):
    applications.set_application_active(creds.application, False, actor="test")
    return _form(creds)


def _inactive_owner(creds, app):
    accounts.set_user_active(creds.application.owner_user, False)
    return _form(creds)


def _owner_left_org(creds, app):
    other = accounts.create_organization(f"Other {creds.client_id}")
    user = creds.application.owner_user
    user.organizations.append(other)
    db.session.commit()
    accounts.remove_user_from_organization(user, creds.application.organization)
    return _form(creds)


def _keys_missing(creds, app):
    Path(app.config["OAUTH_PRIVATE_KEY_PATH"]).unlink()
    return _form(creds)


# (id, how to build the request from the credentials, status, error)
ERROR_ROWS = [
    ("get", lambda c, a: {"method": "GET"}, 405, "invalid_request"),
    ("put", lambda c, a: {"method": "PUT", **_form(c)}, 405, "invalid_request"),
    ("delete", lambda c, a: {"method": "DELETE"}, 405, "invalid_request"),
    ("patch", lambda c, a: {"method": "PATCH", **_form(c)}, 405, "invalid_request"),
    (
        "text-plain",
        lambda c, a: {"data": "grant_type=client_credentials", "headers": _ct("text/plain")},
        400,
        "invalid_request",
    ),
    (
        "multipart",
        lambda c, a: {"files": {"x": ("x.txt", b"x")}, **_form(c)},
        400,
        "invalid_request",
    ),
    ("no-content-type", lambda c, a: {"data": b"", "headers": _ct(None)}, 400, "invalid_request"),
    (
        "missing-grant-type",
        lambda c, a: {"data": dict(c.body)},
        400,
        "invalid_request",
    ),
    (
        "repeated-grant-type",
        lambda c, a: {"data": [*GRANT.items(), *GRANT.items(), *c.body.items()]},
        400,
        "invalid_request",
    ),
    (
        "repeated-client-id",
        lambda c, a: {"data": [*GRANT.items(), ("client_id", c.client_id), *c.body.items()]},
        400,
        "invalid_request",
    ),
    (
        "json-repeated-member",
        lambda c, a: _raw_json(
            '{"grant_type":"client_credentials","grant_type":"client_credentials",'
            f'"client_id":"{c.client_id}","client_secret":"{c.secret}"}}'
        ),
        400,
        "invalid_request",
    ),
    ("json-not-object", lambda c, a: _raw_json('["client_credentials"]'), 400, "invalid_request"),
    ("json-broken", lambda c, a: _raw_json('{"grant_type": '), 400, "invalid_request"),
    ("json-deep", lambda c, a: _raw_json("[" * 5000 + "]" * 5000), 400, "invalid_request"),
    (
        "json-non-string",
        lambda c, a: {"json": {**GRANT, **c.body, "scope": ["users:read"]}},
        400,
        "invalid_request",
    ),
    (
        "json-lone-surrogate",
        lambda c, a: _raw_json(
            f'{{"grant_type":"client_credentials","client_id":"{c.client_id}",'
            '"client_secret":"\\ud800"}'
        ),
        400,
        "invalid_request",
    ),
    (
        "credentials-in-body-and-header",
        lambda c, a: {**_form(c), "headers": c.basic},
        400,
        "invalid_request",
    ),
    (
        "other-client-id-in-body-with-header",
        lambda c, a: {"data": {**GRANT, "client_id": c.client_id + "x"}, "headers": c.basic},
        400,
        "invalid_request",
    ),
    (
        "same-client-id-and-a-secret-in-body-with-header",
        lambda c, a: {
            "data": {**GRANT, "client_id": c.client_id, "client_secret": c.secret},
            "headers": c.basic,
        },
        400,
        "invalid_request",
    ),
    (
        "secret-alone-in-body-with-header",
        lambda c, a: {"data": {**GRANT, "client_secret": c.secret}, "headers": c.basic},
        400,
        "invalid_request",
    ),
    (
        "credentials-in-query-only",
        lambda c, a: {"data": GRANT, "params": c.body},
        400,
        "invalid_request",
    ),
    (
        "secret-in-query",
        lambda c, a: {"data": {**GRANT, "client_id": c.client_id}, "params": _secret(c)},
        400,
        "invalid_request",
    ),
    (
        "scope-and-scopes-differ",
        lambda c, a: _form(c, scope="users:read", scopes="profile:read"),
        400,
        "invalid_request",
    ),
    ("unknown-grant", lambda c, a: _form(c, grant_type="password"), 400, "unsupported_grant_type"),
    (
        "authorization-code-grant",
        lambda c, a: _form(c, grant_type="authorization_code"),
        400,
        "unsupported_grant_type",
    ),
    ("unknown-scope", lambda c, a: _form(c, scope="users:read admin"), 400, "invalid_scope"),
    (
        "scope-of-the-other-api",
        lambda c, a: _form(c, scope="customer:read"),
        400,
        "invalid_scope",
    ),
    ("unknown-client", lambda c, a: _form(c, client_id="x" * 32), 401, "invalid_client"),
    ("wrong-secret", lambda c, a: _form(c, client_secret="nope"), 401, "invalid_client"),
    ("inactive-application", _deactivated_app, 401, "invalid_client"),
    ("inactive-owner", _inactive_owner, 401, "invalid_client"),
    ("owner-left-organization", _owner_left_org, 401, "invalid_client"),
    ("missing-credentials", lambda c, a: {"data": GRANT}, 401, "invalid_client"),
    (
        "missing-secret",
        lambda c, a: {"data": {**GRANT, "client_id": c.client_id}},
        401,
        "invalid_client",
    ),
    (
        "basic-wrong-secret",
        lambda c, a: {"data": GRANT, "headers": basic(c.client_id, "nope")},
        401,
        "invalid_client",
    ),
    (
        "basic-malformed",
        lambda c, a: {"data": GRANT, "headers": {"Authorization": "Basic %%%not-base64"}},
        401,
        "invalid_client",
    ),
    (
        "basic-not-utf8",
        lambda c, a: {"data": GRANT, "headers": {"Authorization": "Basic /w=="}},
        401,
        "invalid_client",
    ),
    (
        "bearer-instead-of-basic",
        lambda c, a: {"data": GRANT, "headers": {"Authorization": "Bearer abc"}},
        401,
        "invalid_client",
    ),
    (
        "nul-in-client-id",
        lambda c, a: _raw_json('{"grant_type":"client_credentials","client_id":"a\\u0000b"}'),
        400,
        "invalid_request",
    ),
    (
        "body-over-64-kib",
        lambda c, a: _form(c, padding="x" * (64 * 1024)),
        413,
        "invalid_request",
    ),
    ("keys-missing", _keys_missing, 503, "temporarily_unavailable"),
]


def _ct(content_type):
    return {"Content-Type": content_type} if content_type else {"Content-Type": ""}


def _raw_json(text):
    return {"data": text.encode("utf-8", "surrogatepass"), "headers": _ct("application/json")}


def _secret(creds):
    return {"client_secret": creds.secret}


@pytest.mark.parametrize(
    "build, status, error", [row[1:] for row in ERROR_ROWS], ids=[row[0] for row in ERROR_ROWS]
)
def test_error_rows_over_http(app, live_server, backend, build, status, error):
    kwargs = build(backend, app)
    method = kwargs.pop("method", "POST")
    response = requests.request(method, live_server.url + TOKEN_PATH, timeout=10, **kwargs)
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert body["error"] == error and body["error_description"]
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Pragma"] == "no-cache"
    assert "Set-Cookie" not in response.headers
    if status == 405:
        assert "POST" in response.headers["Allow"]
    if status == 401:
        assert response.headers["WWW-Authenticate"] == 'Basic realm="oauthsrv"'


INVALID_CLIENT_ROWS = [row for row in ERROR_ROWS if row[3] == "invalid_client"]


def test_invalid_client_answers_are_byte_identical(app, client, make_user, make_application):
    answers = set()
    for index, (_, build, _, _) in enumerate(INVALID_CLIENT_ROWS):
        owner = make_user(email=f"owner{index}@example.com")
        kwargs = build(credentials(*make_application(owner)), app)
        response = client.post(TOKEN_PATH, **kwargs)
        headers = {k: v for k, v in response.headers.items() if k != "Date"}
        answers.add((response.status_code, response.get_data(), tuple(sorted(headers.items()))))
    assert len(answers) == 1


def test_success_has_no_store_and_no_cookie(client, backend):
    response = client.post(TOKEN_PATH, data={**GRANT, **backend.body})
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Pragma"] == "no-cache"
    assert "Set-Cookie" not in response.headers


def test_a_logged_in_session_gets_no_cookie_from_the_token_endpoint(client, auth, backend):
    auth.login("owner@example.com")
    response = client.post(TOKEN_PATH, data={**GRANT, **backend.body})
    assert response.status_code == 200 and "Set-Cookie" not in response.headers


def test_keys_restored_work_again_without_restart(app, client, backend, key_pair_dir):
    private_path = Path(app.config["OAUTH_PRIVATE_KEY_PATH"])
    saved = private_path.read_bytes()
    private_path.unlink()
    assert client.post(TOKEN_PATH, data={**GRANT, **backend.body}).status_code == 503
    private_path.write_bytes(saved)
    private_path.chmod(0o600)
    assert client.post(TOKEN_PATH, data={**GRANT, **backend.body}).status_code == 200


def test_corrupt_key_fails_closed_with_one_log_line(app, client, backend, caplog):
    garbage = b"-----BEGIN PRIVATE KEY-----\ngarbage\n-----END PRIVATE KEY-----\n"
    Path(app.config["OAUTH_PRIVATE_KEY_PATH"]).write_bytes(garbage)
    with caplog.at_level(logging.ERROR, logger="oauthsrv.services.keys"):
        for _ in range(3):
            response = client.post(TOKEN_PATH, data={**GRANT, **backend.body})
            assert response.status_code == 503
            assert response.get_json()["error"] == "temporarily_unavailable"
    assert len([r for r in caplog.records if "unavailable" in r.getMessage()]) == 1


# -- logging, Last Used, CORS -----------------------------------------------------------------


def test_each_outcome_is_logged_without_the_secret(client, backend, caplog):
    with caplog.at_level(logging.INFO, logger="oauthsrv.oauth"):
        client.post(TOKEN_PATH, data={**GRANT, **backend.body})
        client.post(TOKEN_PATH, data={**GRANT, **backend.body, "client_secret": "wrong-one"})
    lines = [r.getMessage() for r in caplog.records if r.name == "oauthsrv.oauth"]
    assert len(lines) == 2
    assert "outcome=issued" in lines[0] and "outcome=invalid_client" in lines[1]
    for line in lines:
        assert backend.client_id in line and "ip=127.0.0.1" in line and "+00:00" in line
    assert not any(
        backend.secret in r.getMessage() or "wrong-one" in r.getMessage() for r in caplog.records
    )


def test_last_used_is_written_at_most_once_a_minute(app, client, backend):
    from datetime import timedelta

    from sqlalchemy import event

    from oauthsrv.models import OAuthApplication

    writes = []

    def count_updates(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("UPDATE OAUTH_APPLICATIONS"):
            writes.append(statement)

    event.listen(db.engine, "before_cursor_execute", count_updates)
    try:
        for _ in range(5):
            client.post(TOKEN_PATH, data={**GRANT, **backend.body})
    finally:
        event.remove(db.engine, "before_cursor_execute", count_updates)
    assert len(writes) == 1
    application = db.session.get(OAuthApplication, backend.id)
    db.session.refresh(application)
    first_use = application.last_used_at
    assert first_use is not None
    application.last_used_at = first_use - timedelta(minutes=2)
    db.session.commit()
    client.post(TOKEN_PATH, data={**GRANT, **backend.body})
    db.session.refresh(application)
    assert application.last_used_at >= first_use


@pytest.fixture
def app_config(app_config):
    return {**app_config, "OAUTH_CORS_ORIGINS": ["https://shop.example.com"]}


def test_cors_allows_only_listed_origins(client, backend):
    allowed = client.post(
        TOKEN_PATH, data={**GRANT, **backend.body}, headers={"Origin": "https://shop.example.com"}
    )
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://shop.example.com"
    assert "Origin" in allowed.headers["Vary"]
    assert "Access-Control-Allow-Credentials" not in allowed.headers
    other = client.post(
        TOKEN_PATH, data={**GRANT, **backend.body}, headers={"Origin": "https://evil.example"}
    )
    assert other.status_code == 200
    assert "Access-Control-Allow-Origin" not in other.headers


@pytest.mark.parametrize(
    "origin, allowed", [("https://shop.example.com", True), ("https://evil.example", False)]
)
def test_cors_preflight(client, origin, allowed):
    response = client.options(
        TOKEN_PATH,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert response.status_code == 204
    assert ("Access-Control-Allow-Origin" in response.headers) is allowed
    assert ("Authorization" in response.headers.get("Access-Control-Allow-Headers", "")) is allowed


def test_json_body_as_oro_documents_it(client, backend):
    payload = {"grant_type": "client_credentials", **backend.body}
    response = client.post(
        TOKEN_PATH, data=json.dumps(payload), content_type="application/json; charset=utf-8"
    )
    assert response.status_code == 200


def test_plain_http_off_loopback_is_refused(client, backend):
    """Authlib's rule: credentials travel over TLS (loopback excepted, for development)."""
    response = client.post(
        TOKEN_PATH, data={**GRANT, **backend.body}, base_url="http://auth.example.com"
    )
    assert response.status_code == 400
    assert response.get_json()["error"] == "insecure_transport"
    assert (
        client.post(
            TOKEN_PATH, data={**GRANT, **backend.body}, base_url="https://auth.example.com"
        ).status_code
        == 200
    )


@pytest.mark.parametrize(
    "path, extra",
    [(TOKEN_PATH, GRANT), (TOKEN_PATH + "/introspect", None), (TOKEN_PATH + "/revoke", None)],
    ids=["token", "introspect", "revoke"],
)
def test_basic_with_the_same_client_id_in_the_body_is_one_method(client, backend, path, extra):
    """RFC 6749 §2.3.1: some client libraries send a bare client_id beside HTTP Basic."""
    if extra is None:
        issued = client.post(TOKEN_PATH, data=GRANT, headers=backend.basic).get_json()
        extra = {"token": issued["access_token"]}
    body = {**extra, "client_id": backend.client_id}
    response = client.post(path, data=body, headers=backend.basic)
    assert response.status_code == 200, response.get_json()
    if path == TOKEN_PATH:
        assert response.get_json()["token_type"] == "Bearer"
    if path.endswith("introspect"):
        assert response.get_json()["active"] is True
