"""`flask oauth apps …`, `oauth keys rotate` and `oauth cleanup` for operators."""

import json
from datetime import timedelta

import pytest
from oauth_helpers import GRANT, JWKS_PATH, TOKEN_PATH, basic

from oauthsrv.extensions import db
from oauthsrv.models import OAuthApplication, TokenRevocation
from oauthsrv.models.base import utcnow
from oauthsrv.services import accounts, applications


def run_json(runner, *args):
    result = runner.invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.output.splitlines()]


def token_status(client, client_id, secret):
    return client.post(TOKEN_PATH, data=GRANT, headers=basic(client_id, secret)).status_code


def test_create_prints_credentials_that_get_a_token(runner, client, owner):
    [created] = run_json(runner, "oauth", "apps", "create", "--owner", owner.email, "--name", "ERP")
    assert set(created) == {"client_id", "client_secret"}
    assert token_status(client, created["client_id"], created["client_secret"]) == 200
    application = applications.find_by_client_id(created["client_id"])
    assert application.kind == "backend" and application.organization.name == "Acme"


def test_create_with_every_option(runner, make_user):
    user = make_user(email="multi@example.com", orgs=("Acme", "Globex"))
    [created] = run_json(
        runner,
        *("oauth", "apps", "create", "--owner", user.email, "--name", "Sync"),
        *("--org", "Globex", "--scopes", "users:read", "--inactive"),
    )
    application = applications.find_by_client_id(created["client_id"])
    assert application.organization.name == "Globex"
    assert application.scopes == "users:read" and not application.is_active


def test_create_frontend_for_a_customer_user(runner, client, customer):
    [created] = run_json(
        runner, "oauth", "apps", "create", "--owner", customer.email, "--name", "Shop", "--frontend"
    )
    application = applications.find_by_client_id(created["client_id"])
    assert application.kind == "frontend" and application.owner_customer_user_id == customer.id
    response = client.post(
        TOKEN_PATH, data=GRANT, headers=basic(created["client_id"], created["client_secret"])
    )
    assert response.get_json()["scope"] == "customer:read"


def test_create_goes_through_the_service_signal(runner, owner, app):
    from oauthsrv.signals import application_created

    seen = []

    def listener(sender, application, created_by):
        seen.append(created_by)

    application_created.connect(listener)
    try:
        run_json(runner, "oauth", "apps", "create", "--owner", owner.email, "--name", "ERP")
    finally:
        application_created.disconnect(listener)
    assert seen == ["command line"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--owner", "nobody@example.com", "--name", "X"], "Unknown user"),
        (["--owner", "owner@example.com", "--name", " "], "Application Name is required"),
        (["--owner", "owner@example.com", "--name", "X", "--org", "Nope"], "Unknown organization"),
        (["--owner", "owner@example.com", "--name", "X", "--scopes", "root"], "Unknown scope"),
        (["--owner", "owner@example.com", "--name", "X", "--frontend"], "Unknown customer user"),
        (["--owner", "owner@example.com", "--name", "X", "--org", "Globex"], "cannot add"),
    ],
)
def test_create_refuses_bad_input_and_writes_nothing(runner, owner, make_org, args, message):
    make_org("Globex")
    result = runner.invoke(args=["oauth", "apps", "create", *args])
    assert result.exit_code == 1
    assert message in result.output
    assert db.session.query(OAuthApplication).count() == 0


def test_list_shows_no_secret_and_filters_by_owner(runner, owner, customer, make_application):
    application, secret = make_application(owner, name="ERP")
    make_application(customer, name="Shop")
    rows = run_json(runner, "oauth", "apps", "list")
    assert [row["name"] for row in rows] == ["ERP", "Shop"]
    assert set(rows[0]) == {
        "client_id",
        "name",
        "organization",
        "owner",
        "kind",
        "active",
        "last_used_at",
        "client_auth_method",
        "previous_secret_valid_until",
    }
    assert secret not in json.dumps(rows)
    [mine] = run_json(runner, "oauth", "apps", "list", "--owner", "OWNER@example.com")
    assert mine == {
        "client_id": application.client_id,
        "name": "ERP",
        "organization": "Acme",
        "owner": "owner@example.com",
        "kind": "backend",
        "active": True,
        "last_used_at": None,
        "client_auth_method": "client_secret",
        "previous_secret_valid_until": None,
    }


def test_deactivate_activate_regenerate_delete(runner, client, backend):
    cid = backend.client_id
    run_json(runner, "oauth", "apps", "deactivate", cid)
    assert token_status(client, cid, backend.secret) == 401
    run_json(runner, "oauth", "apps", "activate", cid)
    assert token_status(client, cid, backend.secret) == 200
    [regenerated] = run_json(runner, "oauth", "apps", "regenerate-secret", cid)
    assert regenerated["client_id"] == cid
    assert token_status(client, cid, backend.secret) == 401
    assert token_status(client, cid, regenerated["client_secret"]) == 200
    run_json(runner, "oauth", "apps", "delete", cid)
    assert applications.find_by_client_id(cid) is None


@pytest.mark.parametrize("command", ["activate", "deactivate", "regenerate-secret", "delete"])
def test_unknown_client_id_is_a_clean_error(runner, command):
    result = runner.invoke(args=["oauth", "apps", command, "no-such-client"])
    assert result.exit_code == 1 and "Unknown client id" in result.output


def test_keys_rotate_keeps_the_previous_key_published(runner, client, backend):
    before = client.get(JWKS_PATH).get_json()["keys"]
    result = runner.invoke(args=["oauth", "keys", "rotate"])
    assert result.exit_code == 0, result.output
    after = client.get(JWKS_PATH).get_json()["keys"]
    assert len(after) == 2 and before[0] in after


def test_keys_generate_refuses_to_overwrite(runner):
    result = runner.invoke(args=["oauth", "keys", "generate"])
    assert result.exit_code == 1 and "--force" in result.output


def test_cleanup_removes_expired_revocations_only(runner, backend):
    now = utcnow()
    db.session.add_all(
        [
            TokenRevocation(jti="old", application_id=backend.id, expires_at=now - timedelta(1)),
            TokenRevocation(jti="live", application_id=backend.id, expires_at=now + timedelta(1)),
        ]
    )
    db.session.commit()
    [summary] = run_json(runner, "oauth", "cleanup")
    assert summary["revocations_removed"] == 1
    assert [r.jti for r in db.session.query(TokenRevocation)] == ["live"]


def test_create_refuses_an_inactive_owner(runner, owner):
    accounts.set_user_active(owner, False)
    result = runner.invoke(args=["oauth", "apps", "create", "--owner", owner.email, "--name", "X"])
    assert result.exit_code == 1 and "inactive" in result.output
