"""verify_access_token: what the Bearer-protected APIs rely on.

The tables of forged tokens and of revocation paths are run once, through the API:
tests/api/test_bearer.py and tests/api/test_revocation.py."""

import pytest
from oauth_helpers import GRANT, TOKEN_PATH

from oauthsrv.extensions import db
from oauthsrv.services.token_verification import verify_access_token
from oauthsrv.services.tokens import InvalidToken, audience_for

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


def test_tokens_of_one_api_are_refused_by_the_other(client, request_ctx, backend, frontend):
    backend_token = issued(client, backend)
    frontend_token = issued(client, frontend)
    assert verify_access_token(frontend_token, FRONTEND_AUD).kind == "frontend"
    with pytest.raises(InvalidToken):
        verify_access_token(backend_token, FRONTEND_AUD)
    with pytest.raises(InvalidToken):
        verify_access_token(frontend_token, BACKEND_AUD)
    assert audience_for("backend") == BACKEND_AUD and audience_for("frontend") == FRONTEND_AUD


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
