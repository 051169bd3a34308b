"""Bearer rules (RFC 6750, RFC 9068, RFC 8725) on a served app, with tokens forged in the test.

The one table of forged and malformed tokens (services/token_verification.py through the API)."""

import base64
import json
import time

import pytest
import requests
from api_helpers import JSON_API, call, credentials
from forgery import (
    DROP,
    OTHER_KEY,
    alg_none,
    b64,
    hs256_keyed_with_public_key,
    sign,
    without_dropped,
)

from oauthsrv.services import tokens

INVALID_BODY = {
    "errors": [
        {
            "status": "401",
            "title": "Unauthorized",
            "detail": "The access token is invalid.",
            "code": "invalid_token",
        }
    ]
}
INVALID_CHALLENGE = 'Bearer realm="oauthsrv", error="invalid_token"'


def claims_for(base_url: str, creds, **overrides) -> dict:
    """The claims a real backend token would carry, with deliberate flaws as overrides."""
    now = int(time.time())
    application = creds.application
    claims = {
        "iss": base_url,
        "sub": application.client_id,
        "aud": base_url + "/admin/api",
        "exp": now + 600,
        "iat": now,
        "nbf": now,
        "jti": f"forged-{now}-{time.perf_counter_ns()}",
        "client_id": application.client_id,
        "scope": "profile:read",
        "org_id": application.organization_id,
        "gen": application.generation,
        **overrides,
    }
    return without_dropped(claims)


def tampered(token: str) -> str:
    """A real signature over claims changed afterwards (a wider scope)."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["scope"] = "profile:read users:read applications:read"
    return f"{header}.{b64(json.dumps(claims).encode())}.{signature}"


# (id, builder(base_url, creds) -> token). Each row has exactly one flaw.
FORGERIES = [
    ("signed-with-another-key", lambda u, c: sign(claims_for(u, c), key=OTHER_KEY)),
    ("alg-none", lambda u, c: alg_none(claims_for(u, c))),
    ("hs256-keyed-with-public-key", lambda u, c: hs256_keyed_with_public_key(claims_for(u, c))),
    ("rs384", lambda u, c: sign(claims_for(u, c), algorithm="RS384")),
    ("rs512", lambda u, c: sign(claims_for(u, c), algorithm="RS512")),
    ("ps256", lambda u, c: sign(claims_for(u, c), algorithm="PS256")),
    ("unknown-kid", lambda u, c: sign(claims_for(u, c), {"kid": "no-such-key"})),
    ("no-kid", lambda u, c: sign(claims_for(u, c), {"kid": DROP})),
    ("typ-jwt", lambda u, c: sign(claims_for(u, c), {"typ": "JWT"})),
    ("no-typ", lambda u, c: sign(claims_for(u, c), {"typ": DROP})),
    ("wrong-iss", lambda u, c: sign(claims_for(u, c, iss="https://evil.example"))),
    ("wrong-aud", lambda u, c: sign(claims_for(u, c, aud=u + "/api"))),
    (
        "aud-of-another-server",
        lambda u, c: sign(claims_for(u, c, aud="https://x.example/admin/api")),
    ),
    ("aud-list", lambda u, c: sign(claims_for(u, c, aud=[u + "/admin/api", u + "/api"]))),
    ("expired", lambda u, c: sign(claims_for(u, c, exp=int(time.time()) - 120))),
    ("not-yet-valid", lambda u, c: sign(claims_for(u, c, nbf=int(time.time()) + 120))),
    ("issued-in-the-future", lambda u, c: sign(claims_for(u, c, iat=int(time.time()) + 120))),
    ("older-generation", lambda u, c: sign(claims_for(u, c, gen=c.application.generation - 1))),
    ("another-organization", lambda u, c: sign(claims_for(u, c, org_id=999_999))),
    ("unknown-client", lambda u, c: sign(claims_for(u, c, client_id="x" * 32, sub="x" * 32))),
    ("gen-as-string", lambda u, c: sign(claims_for(u, c, gen="1"))),
    (
        "org-as-string",
        lambda u, c: sign(claims_for(u, c, org_id=str(c.application.organization_id))),
    ),
    ("sub-not-client", lambda u, c: sign(claims_for(u, c, sub="someone-else"))),
    ("tampered-payload", lambda u, c: tampered(sign(claims_for(u, c)))),
    ("empty-bearer", lambda u, c: ""),
    ("garbage", lambda u, c: "not-a-token"),
    ("three-garbage-parts", lambda u, c: "a.b.c"),
    ("oversized", lambda u, c: "a" * 9000),
    ("huge", lambda u, c: "a" * 60_000),  # below the served app's 64 KiB header line limit
] + [
    (f"missing-{name}", lambda u, c, name=name: sign(claims_for(u, c, **{name: DROP})))
    for name in tokens.REQUIRED_CLAIMS
]


@pytest.mark.parametrize("build", [f[1] for f in FORGERIES], ids=[f[0] for f in FORGERIES])
def test_every_invalid_token_gets_the_same_401(live_server, backend, build):
    response = call(live_server.url, "/admin/api/me", build(live_server.url, backend))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == INVALID_CHALLENGE
    assert response.headers["Content-Type"] == JSON_API
    assert response.headers["Cache-Control"] == "no-store"
    assert response.json() == INVALID_BODY


def test_the_forgery_table_control_case_is_accepted(live_server, backend):
    """Without its flaw a forged token verifies, so each row above fails for its flaw alone."""
    response = call(live_server.url, "/admin/api/me", sign(claims_for(live_server.url, backend)))
    assert response.status_code == 200


def test_a_token_expired_within_the_leeway_still_works(live_server, backend):
    token = sign(claims_for(live_server.url, backend, exp=int(time.time()) - 5))
    assert call(live_server.url, "/admin/api/me", token).status_code == 200


@pytest.mark.parametrize("path", ["/admin/api/me", "/admin/api/users", "/api/me"])
@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": "Token abc"}],
    ids=["no-header", "basic", "other-scheme"],
)
def test_no_bearer_token_is_401_without_an_error_code(live_server, path, headers):
    response = call(live_server.url, path, headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="oauthsrv"'
    assert "code" not in response.json()["errors"][0]


def test_a_token_in_the_query_string_is_not_accepted(live_server, backend, token_for):
    token = token_for(backend)
    response = call(live_server.url, "/admin/api/me", params={"access_token": token})
    assert response.status_code == 400
    assert (
        response.headers["WWW-Authenticate"] == 'Bearer realm="oauthsrv", error="invalid_request"'
    )
    # Not even together with a valid header: the token must not travel in URLs.
    both = call(live_server.url, "/admin/api/me", token, params={"access_token": token})
    assert both.status_code == 400


def test_a_token_in_a_form_body_is_not_accepted(live_server, backend, token_for):
    response = requests.get(
        live_server.url + "/admin/api/me", data={"access_token": token_for(backend)}, timeout=10
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "invalid_request"


def test_a_back_office_session_never_authenticates_an_api_call(live_server, owner):
    with requests.Session() as browser:
        login = browser.post(
            live_server.url + "/admin/login",
            data={"email": owner.email, "password": "correct-horse-battery"},
            timeout=10,
        )
        assert login.status_code == 200 and browser.cookies.get("session")
        assert browser.get(live_server.url + "/admin/profile", timeout=10).status_code == 200
        response = browser.get(live_server.url + "/admin/api/me", timeout=10)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="oauthsrv"'
    assert "Set-Cookie" not in response.headers and "Cookie" not in response.headers.get("Vary", "")


def test_api_responses_set_no_cookie_and_are_not_stored(live_server, backend, token_for):
    for path in ["/admin/api/me", "/admin/api/nothing-here", "/admin/api/openapi.json"]:
        response = call(live_server.url, path, token_for(backend))
        assert response.headers["Cache-Control"] == "no-store", path
        assert "Set-Cookie" not in response.headers, path


def test_each_api_takes_only_its_own_tokens(live_server, backend, frontend, token_for):
    backend_token, frontend_token = token_for(backend), token_for(frontend)
    assert call(live_server.url, "/admin/api/me", backend_token).status_code == 200
    assert call(live_server.url, "/api/me", frontend_token).status_code == 200
    for path, token in [("/api/me", backend_token), ("/admin/api/me", frontend_token)]:
        response = call(live_server.url, path, token)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == INVALID_CHALLENGE
        assert response.json() == INVALID_BODY


@pytest.mark.parametrize(
    "path, needed, granted",
    [
        ("/admin/api/me", "profile:read", "users:read"),
        ("/admin/api/users", "users:read", "profile:read applications:read"),
        ("/admin/api/users/1", "users:read", "profile:read"),
        ("/admin/api/oauthapplications", "applications:read", "users:read"),
    ],
)
def test_a_missing_scope_is_403_naming_it(live_server, backend, token_for, path, needed, granted):
    response = call(live_server.url, path, token_for(backend, scope=granted))
    assert response.status_code == 403
    assert response.headers["WWW-Authenticate"] == (
        f'Bearer realm="oauthsrv", error="insufficient_scope", scope="{needed}"'
    )
    assert response.json()["errors"][0]["code"] == "insufficient_scope"


def test_an_application_narrowed_to_one_scope_gets_403_elsewhere(
    live_server, owner, make_application, token_for
):
    creds = credentials(*make_application(owner, name="Narrow", scopes=["users:read"]))
    token = token_for(creds)
    assert call(live_server.url, "/admin/api/users", token).status_code == 200
    assert call(live_server.url, "/admin/api/me", token).status_code == 403


def test_with_the_keys_missing_tokens_get_the_same_401(live_server, backend, token_for, key_paths):
    token = token_for(backend)
    for path in key_paths:
        path.unlink()
    response = call(live_server.url, "/admin/api/me", token)
    assert response.status_code == 401
    assert response.json() == INVALID_BODY
