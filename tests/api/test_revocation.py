"""Immediate revocation: after each change the very next API call with an older token fails,
and keeps failing once the change is undone, while a token issued right after it works.

The one table of revocation paths (services/token_verification.py through the API)."""

import pytest
from api_helpers import REVOCATION_PATH, TOKEN_PATH, call, revoke_with_authlib

from oauthsrv import create_app
from oauthsrv.extensions import db
from oauthsrv.services import accounts, applications
from tests.conftest import LiveServer


def deactivate_application(creds):
    applications.set_application_active(creds.application, False, actor="test")


def reactivate_application(creds):
    applications.set_application_active(creds.application, True, actor="test")


def deactivate_owner(creds):
    accounts.set_user_active(creds.application.owner_user, False)


def reactivate_owner(creds):
    accounts.set_user_active(creds.application.owner_user, True)


def remove_owner_from_organization(creds):
    elsewhere = accounts.create_organization("Elsewhere")
    user = creds.application.owner_user
    user.organizations.append(elsewhere)
    db.session.commit()
    accounts.remove_user_from_organization(user, creds.application.organization)


def add_owner_back(creds):
    creds.application.owner_user.organizations.append(creds.application.organization)
    db.session.commit()


def narrow_scopes(creds):
    application = creds.application
    applications.update_application(
        application, actor="test", name=application.name, is_active=True, scopes=["profile:read"]
    )


def deactivate_organization(creds):
    creds.application.organization.is_active = False
    db.session.commit()


def deactivate_customer(creds):
    accounts.set_customer_user_active(creds.application.owner_customer_user, False)


def reactivate_customer(creds):
    accounts.set_customer_user_active(creds.application.owner_customer_user, True)


# (id, which application, change, undo or None, whether a token issued afterwards works)
PATHS = [
    ("application-deactivated", "backend", deactivate_application, reactivate_application, True),
    ("owner-deactivated", "backend", deactivate_owner, reactivate_owner, True),
    (
        "owner-removed-from-organization",
        "backend",
        remove_owner_from_organization,
        add_owner_back,
        True,
    ),
    ("customer-user-deactivated", "frontend", deactivate_customer, reactivate_customer, True),
    ("scopes-narrowed", "backend", narrow_scopes, None, True),
    ("organization-deactivated", "backend", deactivate_organization, None, False),
]
ME = {"backend": "/admin/api/me", "frontend": "/api/me"}


@pytest.mark.parametrize(
    "kind, change, undo, new_token_works", [p[1:] for p in PATHS], ids=[p[0] for p in PATHS]
)
def test_the_old_token_fails_at_once_and_after_the_change_is_undone(
    request, live_server, token_for, kind, change, undo, new_token_works
):
    creds = request.getfixturevalue(kind)
    path = ME[kind]
    old = token_for(creds)
    assert call(live_server.url, path, old).status_code == 200
    change(creds)
    assert call(live_server.url, path, old).status_code == 401
    if undo is not None:
        undo(creds)
        assert call(live_server.url, path, old).status_code == 401
    if new_token_works:
        # Issued right after (usually within the same second as the change): works.
        assert call(live_server.url, path, token_for(creds)).status_code == 200


def test_deleting_the_application_kills_its_tokens(live_server, backend, token_for):
    import requests

    token = token_for(backend)
    applications.delete_application(backend.application, actor="test")
    assert call(live_server.url, "/admin/api/me", token).status_code == 401
    refused = requests.post(
        live_server.url + TOKEN_PATH,
        data={"grant_type": "client_credentials"},
        auth=(backend.client_id, backend.secret),
        timeout=10,
    )
    assert refused.status_code == 401


def test_regenerating_the_secret_kills_tokens_issued_before(live_server, backend, token_for):
    old = token_for(backend)
    backend.secret = applications.regenerate_secret(backend.application, actor="test")
    assert call(live_server.url, "/admin/api/me", old).status_code == 401
    assert call(live_server.url, "/admin/api/me", token_for(backend)).status_code == 200
    assert call(live_server.url, "/admin/api/me", old).status_code == 401


@pytest.mark.parametrize("kind", ["backend", "frontend"])
def test_an_rfc7009_revoked_token_fails_and_only_that_one(request, live_server, token_for, kind):
    creds = request.getfixturevalue(kind)
    path = ME[kind]
    revoked, kept = token_for(creds), token_for(creds)
    assert revoke_with_authlib(live_server.url, creds.client_id, creds.secret, revoked) == 200
    # Idempotent: revoking it again is answered the same.
    assert revoke_with_authlib(live_server.url, creds.client_id, creds.secret, revoked) == 200
    assert call(live_server.url, path, revoked).status_code == 401
    assert call(live_server.url, path, kept).status_code == 200
    assert call(live_server.url, path, token_for(creds)).status_code == 200
    assert REVOCATION_PATH.startswith(TOKEN_PATH)


def test_revocation_applies_to_every_worker_sharing_the_database(
    app_config, live_server, backend, token_for
):
    """A second app (another worker or host) on the same database sees the change at once."""
    token = token_for(backend)
    # Workers and hosts of one deployment share its issuer (OAUTH_ISSUER).
    other_worker = create_app({**app_config, "OAUTH_ISSUER": live_server.url})
    with LiveServer(other_worker) as other_server:
        other_url = other_server.url
        assert call(other_url, "/admin/api/me", token).status_code == 200
        deactivate_application(backend)
        assert call(other_url, "/admin/api/me", token).status_code == 401
        assert call(live_server.url, "/admin/api/me", token).status_code == 401
    with other_worker.app_context():
        db.engine.dispose()  # its pooled connections, closed now rather than by the collector
