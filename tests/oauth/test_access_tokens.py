"""verify_access_token: what the Bearer-protected APIs rely on (forgeries and revocation paths)."""

import base64
import json
import time

import pytest
from forgery import (
    DROP,
    OTHER_KEY,
    alg_none,
    b64,
    hs256_keyed_with_public_key,
    sign,
    without_dropped,
)
from oauth_helpers import GRANT, TOKEN_PATH

from oauthsrv.extensions import db
from oauthsrv.services import accounts, applications, tokens
from oauthsrv.services.tokens import InvalidToken, audience_for, verify_access_token

ISSUER = "http://localhost"  # the test client's URL root
BACKEND_AUD = ISSUER + "/admin/api"
FRONTEND_AUD = ISSUER + "/api"


@pytest.fixture
def request_ctx(app):
    with app.test_request_context():
        yield


def issued(client, creds, **extra) -> str:
    response = client.post(TOKEN_PATH, data={**GRANT, **creds.body, **extra})
    assert response.status_code == 200
    return response.get_json()["access_token"]


def claims_for(creds, **overrides) -> dict:
    now = int(time.time())
    application = creds.application
    claims = {
        "iss": ISSUER,
        "sub": application.client_id,
        "aud": BACKEND_AUD,
        "exp": now + 600,
        "iat": now,
        "nbf": now,
        "jti": "forged-" + str(now),
        "client_id": application.client_id,
        "scope": "users:read",
        "org_id": application.organization_id,
        "gen": application.generation,
    }
    claims.update(overrides)
    return without_dropped(claims)


NOW = int(time.time())

FORGERIES = [
    ("other-key-same-kid", lambda c: sign(claims_for(c), key=OTHER_KEY)),
    ("alg-none", lambda c: alg_none(claims_for(c))),
    ("hs256-with-public-key", lambda c: hs256_keyed_with_public_key(claims_for(c))),
    ("rs384", lambda c: sign(claims_for(c), algorithm="RS384")),
    ("ps256", lambda c: sign(claims_for(c), algorithm="PS256")),
    ("unknown-kid", lambda c: sign(claims_for(c), {"kid": "not-a-key"})),
    ("no-kid", lambda c: sign(claims_for(c), {"kid": DROP})),
    ("typ-jwt", lambda c: sign(claims_for(c), {"typ": "JWT"})),
    ("no-typ", lambda c: sign(claims_for(c), {"typ": DROP})),
    ("wrong-iss", lambda c: sign(claims_for(c, iss="https://evil.example"))),
    ("wrong-aud", lambda c: sign(claims_for(c, aud=FRONTEND_AUD))),
    ("aud-list", lambda c: sign(claims_for(c, aud=[BACKEND_AUD, FRONTEND_AUD]))),
    ("expired", lambda c: sign(claims_for(c, exp=int(time.time()) - 120))),
    ("not-yet-valid", lambda c: sign(claims_for(c, nbf=int(time.time()) + 120))),
    ("issued-in-future", lambda c: sign(claims_for(c, iat=int(time.time()) + 120))),
    ("gen-as-string", lambda c: sign(claims_for(c, gen="1"))),
    ("org-as-string", lambda c: sign(claims_for(c, org_id=str(c.application.organization_id)))),
    ("sub-not-client", lambda c: sign(claims_for(c, sub="someone-else"))),
    ("old-generation", lambda c: sign(claims_for(c, gen=c.application.generation - 1))),
    ("other-organization", lambda c: sign(claims_for(c, org_id=999_999))),
    ("unknown-client", lambda c: sign(claims_for(c, client_id="x" * 32, sub="x" * 32))),
    ("empty", lambda c: ""),
    ("garbage", lambda c: "not-a-token"),
    ("three-garbage-parts", lambda c: "a.b.c"),
    ("huge", lambda c: "a" * 100_000),
    ("tampered-payload", lambda c: _tampered(sign(claims_for(c)))),
] + [
    (f"missing-{name}", lambda c, name=name: sign(claims_for(c, **{name: DROP})))
    for name in tokens.REQUIRED_CLAIMS
]


def _tampered(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["scope"] = "users:read profile:read applications:read"
    return f"{header}.{b64(json.dumps(claims).encode())}.{signature}"


@pytest.mark.parametrize("build", [f[1] for f in FORGERIES], ids=[f[0] for f in FORGERIES])
def test_forged_or_malformed_tokens_are_rejected(request_ctx, backend, build):
    token = build(backend)
    with pytest.raises(InvalidToken):
        verify_access_token(token, BACKEND_AUD)


def test_a_well_forged_token_with_our_key_verifies(request_ctx, backend):
    """The control case for the table above: only the deliberate flaw makes those fail."""
    verified = verify_access_token(sign(claims_for(backend)), BACKEND_AUD)
    assert verified.client_id == backend.client_id


def test_verified_token_carries_what_the_api_needs(client, request_ctx, backend):
    verified = verify_access_token(issued(client, backend, scope="users:read"), BACKEND_AUD)
    application = backend.application
    assert verified.client_id == application.client_id
    assert verified.application_id == application.id
    assert verified.kind == "backend"
    assert verified.organization_id == application.organization_id
    assert verified.owner_user_id == application.owner_user_id
    assert verified.owner_customer_user_id is None
    assert verified.scopes == {"users:read"} and verified.has_scope("users:read")
    assert verified.expires_at - verified.issued_at == 3600


def test_small_leeway_on_expiry(request_ctx, backend):
    just_expired = sign(claims_for(backend, exp=int(time.time()) - 5))
    assert verify_access_token(just_expired, BACKEND_AUD)


def test_tokens_of_one_api_are_refused_by_the_other(client, request_ctx, backend, frontend):
    backend_token = issued(client, backend)
    frontend_token = issued(client, frontend)
    assert verify_access_token(frontend_token, FRONTEND_AUD).kind == "frontend"
    with pytest.raises(InvalidToken):
        verify_access_token(backend_token, FRONTEND_AUD)
    with pytest.raises(InvalidToken):
        verify_access_token(frontend_token, BACKEND_AUD)
    assert audience_for("backend") == BACKEND_AUD and audience_for("frontend") == FRONTEND_AUD


def _deactivate(creds):
    applications.set_application_active(creds.application, False, actor="test")


def _deactivate_and_reactivate(creds):
    _deactivate(creds)
    applications.set_application_active(creds.application, True, actor="test")


def _regenerate(creds):
    creds.secret = applications.regenerate_secret(creds.application, actor="test")
    creds.body["client_secret"] = creds.secret


def _narrow_scopes(creds):
    application = creds.application
    applications.update_application(
        application, actor="test", name=application.name, is_active=True, scopes=["users:read"]
    )


def _owner_deactivated(creds):
    accounts.set_user_active(creds.application.owner_user, False)


def _owner_deactivated_and_back(creds):
    _owner_deactivated(creds)
    accounts.set_user_active(creds.application.owner_user, True)


def _owner_left_org(creds):
    other = accounts.create_organization("Elsewhere")
    user = creds.application.owner_user
    user.organizations.append(other)
    db.session.commit()
    accounts.remove_user_from_organization(user, creds.application.organization)


def _organization_deactivated(creds):
    creds.application.organization.is_active = False
    db.session.commit()


REVOCATIONS = [
    ("deactivated", _deactivate, False),
    ("deactivated-then-reactivated", _deactivate_and_reactivate, True),
    ("secret-regenerated", _regenerate, True),
    ("scopes-narrowed", _narrow_scopes, True),
    ("owner-deactivated", _owner_deactivated, False),
    ("owner-deactivated-then-reactivated", _owner_deactivated_and_back, True),
    ("owner-left-organization", _owner_left_org, False),
    ("organization-deactivated", _organization_deactivated, False),
]


@pytest.mark.parametrize(
    "change, new_token_works", [r[1:] for r in REVOCATIONS], ids=[r[0] for r in REVOCATIONS]
)
def test_changes_revoke_earlier_tokens_at_once(
    client, request_ctx, backend, change, new_token_works
):
    old = issued(client, backend)
    assert verify_access_token(old, BACKEND_AUD)
    change(backend)
    with pytest.raises(InvalidToken):
        verify_access_token(old, BACKEND_AUD)
    if new_token_works:
        # Issued right after the change, possibly within the same second: valid.
        assert verify_access_token(issued(client, backend, scope="users:read"), BACKEND_AUD)


def test_deleted_application_tokens_fail(client, request_ctx, backend):
    token = issued(client, backend)
    applications.delete_application(backend.application, actor="test")
    with pytest.raises(InvalidToken):
        verify_access_token(token, BACKEND_AUD)


def test_revoked_jti_fails_and_other_tokens_live_on(client, request_ctx, backend):
    revoked, kept = issued(client, backend), issued(client, backend)
    claims = tokens.decode_access_token(revoked)
    tokens.revoke_access_token(claims, backend.id)
    tokens.revoke_access_token(claims, backend.id)  # idempotent
    with pytest.raises(InvalidToken):
        verify_access_token(revoked, BACKEND_AUD)
    assert verify_access_token(kept, BACKEND_AUD)


def test_customer_deactivated_kills_frontend_tokens(client, request_ctx, frontend, customer):
    token = issued(client, frontend)
    customer.is_active = False
    db.session.commit()
    with pytest.raises(InvalidToken):
        verify_access_token(token, FRONTEND_AUD)


def test_owner_with_global_access_may_use_applications_of_other_organizations(
    client, request_ctx, make_user, make_org, make_application
):
    make_org("HQ", is_global_access=True)
    branch = make_org("Branch")
    user = make_user(email="hq@example.com", orgs=("HQ",))
    creds_app, secret = make_application(user, organization=branch)
    from oauth_helpers import credentials

    creds = credentials(creds_app, secret)
    assert verify_access_token(issued(client, creds), BACKEND_AUD).organization_id == branch.id


def test_verification_is_one_query(client, request_ctx, backend):
    from sqlalchemy import event

    token = issued(client, backend)
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        verify_access_token(token, BACKEND_AUD)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(statements) == 1


def test_keys_missing_reject_every_token(app, client, request_ctx, backend, key_paths):
    token = issued(client, backend)
    for path in key_paths:
        path.unlink()
    with pytest.raises(InvalidToken):
        verify_access_token(token, BACKEND_AUD)
