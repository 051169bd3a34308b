"""Overlapping secret rotation: both secrets get tokens until the overlap ends, then only the new.

Time is moved with the `clock` fixture (services/clock.py), never slept through. The client is
requests-oauthlib against a served app, as an integrator would run it.
"""

import json
import logging
from datetime import timedelta

import pytest
import requests
from flask import g
from oauth_helpers import GRANT, INTROSPECTION_PATH, TOKEN_PATH, basic
from oauthlib.oauth2 import BackendApplicationClient
from requests_oauthlib import OAuth2Session

from oauthsrv import machine_app_of
from oauthsrv.extensions import db
from oauthsrv.services import applications

ME = "/admin/api/me"


@pytest.fixture
def fetch(live_server, monkeypatch):
    """Get a token with requests-oauthlib (HTTP Basic); returns the token response."""
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")

    def get(client_id: str, secret: str) -> dict:
        client = BackendApplicationClient(client_id=client_id)
        with OAuth2Session(client=client) as session:
            return session.fetch_token(
                live_server.url + TOKEN_PATH, client_id=client_id, client_secret=secret
            )

    return get


def token_status(live_server, client_id: str, secret: str) -> tuple[int, dict]:
    response = requests.post(
        live_server.url + TOKEN_PATH, data=GRANT, auth=(client_id, secret), timeout=10
    )
    return response.status_code, response.json()


def api_status(live_server, token: str) -> int:
    headers = {"Authorization": f"Bearer {token}"}
    return requests.get(live_server.url + ME, headers=headers, timeout=10).status_code


def regenerate(creds, keep_old=None) -> str:
    return applications.regenerate_secret(creds.application, actor="test", keep_old=keep_old)


@pytest.mark.parametrize("keep_old, hours", [("1h", 1), ("24h", 24), ("7d", 24 * 7)])
def test_both_secrets_work_during_the_overlap_and_only_the_new_one_after(
    live_server, backend, fetch, clock, keep_old, hours
):
    old_token = fetch(backend.client_id, backend.secret)["access_token"]
    new_secret = regenerate(backend, keep_old)

    clock.advance(hours=hours, seconds=-1)
    assert fetch(backend.client_id, backend.secret)["token_type"] == "Bearer"
    assert fetch(backend.client_id, new_secret)["token_type"] == "Bearer"
    # An overlap revokes nothing: the token issued before the rotation still works.
    assert api_status(live_server, old_token) == 200

    clock.advance(seconds=1)  # the overlap's end is exclusive
    status, body = token_status(live_server, backend.client_id, backend.secret)
    assert (status, body["error"]) == (401, "invalid_client")
    assert fetch(backend.client_id, new_secret)["token_type"] == "Bearer"
    assert api_status(live_server, old_token) == 200


def test_stop_now_refuses_the_old_secret_and_revokes_the_tokens(live_server, backend, fetch):
    old_token = fetch(backend.client_id, backend.secret)["access_token"]
    new_secret = regenerate(backend)
    assert token_status(live_server, backend.client_id, backend.secret)[0] == 401
    assert api_status(live_server, old_token) == 401
    assert api_status(live_server, fetch(backend.client_id, new_secret)["access_token"]) == 200


def test_regenerating_during_an_overlap_ends_the_older_secret_at_once(
    live_server, backend, fetch, clock
):
    second = regenerate(backend, "24h")
    third = regenerate(backend, "1h")
    assert token_status(live_server, backend.client_id, backend.secret)[0] == 401
    assert fetch(backend.client_id, second)["token_type"] == "Bearer"
    assert fetch(backend.client_id, third)["token_type"] == "Bearer"
    clock.advance(hours=1)
    assert token_status(live_server, backend.client_id, second)[0] == 401
    # Stopping now during an overlap ends the previous secret too.
    fourth = regenerate(backend)
    assert token_status(live_server, backend.client_id, third)[0] == 401
    assert fetch(backend.client_id, fourth)["token_type"] == "Bearer"


def test_revoking_the_previous_secret_ends_the_overlap_but_keeps_the_tokens(
    live_server, backend, fetch
):
    new_secret = regenerate(backend, "7d")
    token_by_old = fetch(backend.client_id, backend.secret)["access_token"]
    assert applications.revoke_previous_secret(backend.application, actor="test") is True
    assert token_status(live_server, backend.client_id, backend.secret)[0] == 401
    assert fetch(backend.client_id, new_secret)["token_type"] == "Bearer"
    assert api_status(live_server, token_by_old) == 200
    # Nothing left to revoke.
    assert applications.revoke_previous_secret(backend.application, actor="test") is False


def test_the_old_secret_is_refused_the_same_way_as_a_wrong_one(client, backend, clock):
    regenerate(backend, "1h")
    clock.advance(hours=2)
    ended = client.post(TOKEN_PATH, data=GRANT, headers=basic(backend.client_id, backend.secret))
    wrong = client.post(TOKEN_PATH, data=GRANT, headers=basic(backend.client_id, "x" * 43))
    assert ended.status_code == wrong.status_code == 401
    assert ended.get_data() == wrong.get_data()
    assert ended.headers["WWW-Authenticate"] == wrong.headers["WWW-Authenticate"]


def test_introspection_and_revocation_accept_the_previous_secret(client, backend, issue):
    token = issue(backend)["access_token"]
    regenerate(backend, "1h")
    response = client.post(
        INTROSPECTION_PATH, data={"token": token}, headers=basic(backend.client_id, backend.secret)
    )
    assert response.status_code == 200 and response.get_json()["active"] is True


def test_the_log_says_which_secret_authenticated_and_never_the_secret(client, backend, caplog):
    old_secret = backend.secret
    new_secret = regenerate(backend, "1h")
    caplog.set_level(logging.INFO, logger="oauthsrv.oauth")
    for secret in (old_secret, new_secret, "wrong"):
        client.post(TOKEN_PATH, data=GRANT, headers=basic(backend.client_id, secret))
    lines = [r.getMessage() for r in caplog.records if r.name == "oauthsrv.oauth"]
    assert "outcome=issued credential=previous" in lines[0]
    assert "outcome=issued credential=current" in lines[1]
    assert "outcome=invalid_client credential=-" in lines[2]
    assert not any(old_secret in line or new_secret in line for line in caplog.messages)


def test_the_credential_is_left_in_g_for_the_audit(app, client, backend):
    seen = []
    machine_app_of(app).after_request_funcs.setdefault(None, []).append(
        lambda response: seen.append(g.get("oauth_credential")) or response
    )
    new_secret = regenerate(backend, "1h")
    client.post(TOKEN_PATH, data=GRANT, headers=basic(backend.client_id, backend.secret))
    client.post(TOKEN_PATH, data=GRANT, headers=basic(backend.client_id, new_secret))
    assert seen == ["previous", "current"]


# -- command line -----------------------------------------------------------------------------


def run_json(runner, *args):
    result = runner.invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.output.splitlines()]


def status(client, client_id: str, secret: str) -> int:
    return client.post(TOKEN_PATH, data=GRANT, headers=basic(client_id, secret)).status_code


def test_cli_regenerate_with_keep_old_then_revoke_previous(runner, client, backend, clock):
    cid = backend.client_id
    [out] = run_json(runner, "oauth", "apps", "regenerate-secret", cid, "--keep-old", "24h")
    expected_until = (clock.now() + timedelta(hours=24)).isoformat(timespec="seconds") + "Z"
    assert out["previous_secret_valid_until"] == expected_until
    new_secret = out["client_secret"]
    for secret in (backend.secret, new_secret):
        response = client.post(TOKEN_PATH, data=GRANT, headers=basic(cid, secret))
        assert response.status_code == 200
    [listed] = run_json(runner, "oauth", "apps", "list")
    assert listed["previous_secret_valid_until"] == out["previous_secret_valid_until"]

    [revoked] = run_json(runner, "oauth", "apps", "revoke-previous-secret", cid)
    assert revoked == {"client_id": cid, "previous_secret_revoked": True}
    assert status(client, cid, backend.secret) == 401
    assert status(client, cid, new_secret) == 200
    [listed] = run_json(runner, "oauth", "apps", "list")
    assert listed["previous_secret_valid_until"] is None


def test_cli_regenerate_without_keep_old_stops_the_old_secret(runner, client, backend):
    [out] = run_json(runner, "oauth", "apps", "regenerate-secret", backend.client_id)
    assert out["previous_secret_valid_until"] is None
    headers = basic(backend.client_id, backend.secret)
    assert client.post(TOKEN_PATH, data=GRANT, headers=headers).status_code == 401


def test_cli_refuses_an_unknown_period_and_changes_nothing(runner, backend):
    before = backend.application.client_secret_hash
    result = runner.invoke(
        args=["oauth", "apps", "regenerate-secret", backend.client_id, "--keep-old", "2h"]
    )
    assert result.exit_code == 2 and "'2h' is not one of '1h', '24h', '7d'" in result.output
    db.session.refresh(backend.application)
    assert backend.application.client_secret_hash == before


def test_cli_revoke_previous_of_an_unknown_client_is_a_clean_error(runner):
    result = runner.invoke(args=["oauth", "apps", "revoke-previous-secret", "nope"])
    assert result.exit_code == 1 and "Unknown client id" in result.output
