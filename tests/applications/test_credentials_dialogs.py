"""Regenerate Secret with an overlap, Revoke Previous Secret, and Client authentication in Edit."""

import json
import re

import pytest
from apps_helpers import BASE, HX, apps_of, shown_secret, text_of, triggers
from joserfc.jwk import ECKey, RSAKey

from oauthsrv.services import applications

GRANT = {"grant_type": "client_credentials"}


@pytest.fixture(scope="module")
def ec_public_pem():
    return ECKey.generate_key("P-256").as_pem(private=False).decode()


def token_status(client, client_id, secret) -> int:
    data = {**GRANT, "client_id": client_id, "client_secret": secret}
    return client.post("/oauth2-token", data=data).status_code


def edit_data(application, **changes) -> dict:
    data = {"name": application.name, "is_active": "y", "scopes": application.scope_list}
    return {**data, **changes}


# -- Regenerate Secret ------------------------------------------------------------------------


def test_the_dialog_offers_stop_now_by_default_and_three_overlaps(client, ann, make_application):
    application, _ = make_application(ann, "Rotate")
    html = text_of(client.get(f"{BASE}/{application.id}/regenerate-secret", headers=HX))
    assert re.search(r'<input checked id="keep_old-0" name="keep_old" type="radio" value="">', html)
    assert html.count("checked") == 1
    for label in ("stops working now", "1 hour", "24 hours", "7 days"):
        assert label in html


def test_regenerate_with_an_overlap_keeps_both_secrets_and_shows_until_when(
    client, ann, make_application, clock
):
    application, old_secret = make_application(ann, "Rotate")
    url = f"{BASE}/{application.id}/regenerate-secret"
    response = client.post(url, data={"keep_old": "24h"}, headers=HX)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    notice = triggers(response)["show-notice"]
    assert notice.startswith("New secret generated for “Rotate”; the previous one works until")
    new_secret = shown_secret(text_of(response))
    assert token_status(client, application.client_id, old_secret) == 200
    assert token_status(client, application.client_id, new_secret) == 200

    grid = text_of(client.get(BASE, headers=HX))
    assert "Previous secret valid until" in grid and "Revoke Previous Secret" in grid
    edit = text_of(client.get(f"{BASE}/{application.id}/edit", headers=HX))
    assert "Previous secret valid until" in edit and "Revoke previous secret" in edit

    clock.advance(hours=24)
    assert token_status(client, application.client_id, old_secret) == 401
    grid = text_of(client.get(BASE, headers=HX))
    assert "Previous secret valid until" not in grid and "Revoke Previous Secret" not in grid


def test_an_unknown_period_is_refused_and_nothing_changes(client, ann, make_application):
    application, old_secret = make_application(ann, "Rotate")
    url = f"{BASE}/{application.id}/regenerate-secret"
    response = client.post(url, data={"keep_old": "2h"}, headers=HX)
    assert response.status_code == 422 and "Not a valid choice" in text_of(response)
    assert token_status(client, application.client_id, old_secret) == 200


def test_revoke_previous_secret_confirms_then_ends_the_overlap(client, ann, make_application):
    application, old_secret = make_application(ann, "Rotate")
    applications.regenerate_secret(application, actor="test", keep_old="7d")
    url = f"{BASE}/{application.id}/revoke-previous-secret"
    confirm = text_of(client.get(url, headers=HX))
    assert "Stop it now?" in confirm and "Rotate" in confirm
    assert token_status(client, application.client_id, old_secret) == 200  # GET changes nothing
    response = client.post(url, headers=HX)
    assert triggers(response)["show-notice"] == "The previous secret of “Rotate” no longer works."
    assert token_status(client, application.client_id, old_secret) == 401
    assert "has no previous secret that still works" in text_of(client.get(url, headers=HX))


def test_another_owners_application_cannot_be_touched(client, ann, make_user, make_application):
    other = make_user(email="bob@example.com", orgs=("Acme",))
    application, secret = make_application(other, "Bob's")
    applications.regenerate_secret(application, actor="test", keep_old="1h")
    response = client.post(f"{BASE}/{application.id}/revoke-previous-secret", headers=HX)
    assert response.status_code == 404
    assert applications.previous_secret_valid_until(application) is not None


# -- Client authentication in Edit ------------------------------------------------------------


def test_edit_switches_to_private_key_jwt_and_back(client, ann, make_application, ec_public_pem):
    application, secret = make_application(ann, "Signed")
    url = f"{BASE}/{application.id}/edit"
    html = text_of(client.get(url, headers=HX))
    assert "Client authentication" in html and "Private key JWT" in html
    data = edit_data(application, client_auth_method="private_key_jwt", public_keys=ec_public_pem)
    response = client.post(url, data=data, headers=HX)
    assert response.status_code == 200, text_of(response)
    [stored] = apps_of(ann)
    assert stored.client_auth_method == "private_key_jwt"
    assert json.loads(stored.client_jwks)["keys"][0]["crv"] == "P-256"
    assert token_status(client, application.client_id, secret) == 401
    assert "Private key JWT" in text_of(client.get(BASE, headers=HX))  # the grid's badge
    # The dialog shows the stored keys as a JWKS; saving it unchanged keeps them.
    html = text_of(client.get(url, headers=HX))
    assert "&#34;kty&#34;: &#34;EC&#34;" in html or "&quot;kty&quot;: &quot;EC&quot;" in html

    response = client.post(url, data=edit_data(stored, client_auth_method="client_secret"))
    assert response.status_code in (200, 303)
    [stored] = apps_of(ann)
    assert stored.client_auth_method == "client_secret" and stored.client_jwks is None
    assert token_status(client, application.client_id, secret) == 200


def test_edit_takes_a_jwks_url(app, client, ann, make_application):
    application, _ = make_application(ann, "Fetched")
    data = edit_data(
        application,
        client_auth_method="private_key_jwt",
        jwks_url="https://keys.example.com/.well-known/jwks.json",
    )
    response = client.post(f"{BASE}/{application.id}/edit", data=data, headers=HX)
    assert response.status_code == 200
    [stored] = apps_of(ann)
    assert stored.jwks_url == "https://keys.example.com/.well-known/jwks.json"


@pytest.mark.parametrize(
    "fields, message",
    [
        ({}, "Give either a public key or a JWKS URL."),
        ({"public_keys": "not a key"}, "Not a PEM public key nor JSON"),
        ({"jwks_url": "http://keys.example.com/jwks"}, "The JWKS URL must use HTTPS."),
        (
            {"public_keys": RSAKey.generate_key(2048).as_pem(private=True).decode()},
            "This is a private key",
        ),
    ],
)
def test_edit_shows_key_errors_beside_the_field_and_changes_nothing(
    client, ann, make_application, fields, message
):
    application, secret = make_application(ann, "Signed")
    data = edit_data(application, name="Renamed", client_auth_method="private_key_jwt", **fields)
    response = client.post(f"{BASE}/{application.id}/edit", data=data, headers=HX)
    assert response.status_code == 422
    assert message in text_of(response)
    [stored] = apps_of(ann)
    assert (stored.name, stored.client_auth_method) == ("Signed", "client_secret")
    assert token_status(client, application.client_id, secret) == 200


def test_an_edit_post_without_the_field_keeps_the_method(client, ann, make_application):
    application, _ = make_application(ann, "Signed")
    pem = ECKey.generate_key("P-256").as_pem(private=False).decode()
    applications.set_client_auth(
        application, applications.ClientAuth("private_key_jwt", pem), actor="test"
    )
    response = client.post(f"{BASE}/{application.id}/edit", data=edit_data(application), headers=HX)
    assert response.status_code == 200
    assert apps_of(ann)[0].client_auth_method == "private_key_jwt"
