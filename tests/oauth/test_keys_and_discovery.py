"""Signing keys (generate, rotate, retire), the JWKS and the RFC 8414 metadata."""

import json
import logging
import stat
import time

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.warnings import InsecureKeyLengthWarning
from oauth_helpers import GRANT, JWKS_PATH, METADATA_PATH, TOKEN_PATH

from oauthsrv import create_app
from oauthsrv.extensions import db
from oauthsrv.services import keys, token_verification, tokens
from tests.conftest import TEST_PASSWORD


def issue(client, creds) -> str:
    return client.post(TOKEN_PATH, data={**GRANT, **creds.body}).get_json()["access_token"]


def kid_of(token: str) -> str:
    return jwt.get_unverified_header(token)["kid"]


def test_generated_private_key_is_private(key_paths):
    private_path, public_path = key_paths
    assert stat.S_IMODE(private_path.stat().st_mode) == 0o600
    assert b"PUBLIC KEY" in public_path.read_bytes()


def test_jwks_lists_the_active_key(client):
    response = client.get(JWKS_PATH)
    [key] = response.get_json()["keys"]
    assert key["kid"] == keys.load_signing_key().kid
    assert (key["kty"], key["alg"], key["use"]) == ("RSA", "RS256", "sig")
    assert {"n", "e"} <= set(key) and "d" not in key
    assert "Set-Cookie" not in response.headers


def test_rotation_keeps_old_tokens_valid_and_signs_new_ones_with_the_new_key(
    app, client, backend, live_server
):
    old_token = issue(client, backend)
    new_key = keys.rotate_keys(token_ttl=3600)
    new_token = issue(client, backend)  # same process: picked up without a restart
    assert kid_of(new_token) == new_key.kid != kid_of(old_token)
    jwks = requests.get(live_server.url + JWKS_PATH, timeout=10).json()
    assert {key["kid"] for key in jwks["keys"]} == {kid_of(old_token), new_key.kid}
    with app.test_request_context():
        for token in (old_token, new_token):
            assert token_verification.verify_access_token(token, tokens.audience_for("backend"))


def test_own_key_commands_count_at_once_even_between_rechecks(app, client, backend):
    app.config["OAUTH_KEYS_RECHECK_SECONDS"] = 3600
    old_token = issue(client, backend)
    new_key = keys.rotate_keys(token_ttl=3600)
    assert kid_of(issue(client, backend)) == new_key.kid
    keys.generate_keys(force=True)
    assert kid_of(issue(client, backend)) not in (new_key.kid, kid_of(old_token))


def test_files_changed_elsewhere_are_noticed_after_the_recheck_interval(
    app, client, backend, key_paths
):
    app.config["OAUTH_KEYS_RECHECK_SECONDS"] = 1.0
    assert client.post(TOKEN_PATH, data={**GRANT, **backend.body}).status_code == 200
    key_paths[0].unlink()  # as if another host's operator removed it
    still_cached = client.post(TOKEN_PATH, data={**GRANT, **backend.body})
    time.sleep(1.1)
    noticed = client.post(TOKEN_PATH, data={**GRANT, **backend.body})
    assert (still_cached.status_code, noticed.status_code) == (200, 503)


def test_retired_keys_leave_the_jwks_once_their_tokens_expired(app, client, backend):
    old_token = issue(client, backend)
    keys.rotate_keys(token_ttl=3600)
    path = keys.previous_keys_path()
    data = json.loads(path.read_text())
    data["keys"][0]["retire_at"] = time.time() - 1
    path.write_text(json.dumps(data))
    assert [k["kid"] for k in client.get(JWKS_PATH).get_json()["keys"]] == [
        keys.load_signing_key().kid
    ]
    with app.test_request_context(), pytest.raises(tokens.InvalidToken):
        token_verification.verify_access_token(old_token, tokens.audience_for("backend"))
    assert keys.prune_previous_keys() == 1
    assert json.loads(path.read_text())["keys"] == []


def test_retire_time_covers_the_token_lifetime(app):
    before = time.time()
    retired_kid = keys.load_signing_key().kid
    keys.rotate_keys(token_ttl=3600)
    [entry] = json.loads(keys.previous_keys_path().read_text())["keys"]
    assert entry["kid"] == retired_kid
    assert entry["retire_at"] >= before + 3600 + tokens.LEEWAY_SECONDS


def test_generate_force_drops_previous_keys_and_their_tokens(app, client, backend):
    old_token = issue(client, backend)
    keys.rotate_keys(token_ttl=3600)
    keys.generate_keys(force=True)
    assert len(client.get(JWKS_PATH).get_json()["keys"]) == 1
    with app.test_request_context(), pytest.raises(tokens.InvalidToken):
        token_verification.verify_access_token(old_token, tokens.audience_for("backend"))


def test_rotate_without_usable_keys_is_refused(app, key_paths):
    key_paths[0].unlink()
    with pytest.raises(keys.KeysError):
        keys.rotate_keys(token_ttl=3600)


def test_a_private_key_readable_by_others_logs_a_warning(client, key_paths, caplog):
    key_paths[0].chmod(0o644)
    with caplog.at_level(logging.WARNING, logger="oauthsrv.services.keys"):
        assert keys.load_signing_key() is not None
    assert any("readable by group or others" in r.getMessage() for r in caplog.records)


def test_mismatched_pair_fails_closed(app, key_paths, tmp_path):
    other_dir = tmp_path / "other"
    app.config["OAUTH_PRIVATE_KEY_PATH"] = str(other_dir / "private.key")
    app.config["OAUTH_PUBLIC_KEY_PATH"] = str(other_dir / "public.key")
    keys.generate_keys()
    key_paths[1].replace(other_dir / "public.key")
    assert keys.load_signing_key() is None


def test_metadata_names_every_endpoint(client):
    response = client.get(METADATA_PATH)
    document = response.get_json()
    assert document["issuer"] == "http://localhost"
    assert document["token_endpoint"] == "http://localhost/oauth2-token"
    assert document["jwks_uri"] == "http://localhost" + JWKS_PATH
    assert document["introspection_endpoint"].startswith("http://localhost/")
    assert document["revocation_endpoint"].startswith("http://localhost/")
    assert document["grant_types_supported"] == ["client_credentials"]
    for name in ("token", "introspection", "revocation"):
        assert document[f"{name}_endpoint_auth_methods_supported"] == [
            "private_key_jwt",
            "client_secret_basic",
            "client_secret_post",
        ]
        algorithms = document[f"{name}_endpoint_auth_signing_alg_values_supported"]
        assert {"RS256", "PS256", "ES256", "Ed25519"} <= set(algorithms)
        assert not {"none", "HS256"} & set(algorithms)
    assert {"profile:read", "users:read", "applications:read", "customer:read"} <= set(
        document["scopes_supported"]
    )


def test_metadata_follows_the_configured_issuer(app, client):
    app.config["OAUTH_ISSUER"] = "https://auth.example.com"
    document = client.get(METADATA_PATH).get_json()
    assert document["issuer"] == "https://auth.example.com"
    assert document["token_endpoint"] == "https://auth.example.com/oauth2-token"


@pytest.mark.parametrize("path", [JWKS_PATH, METADATA_PATH])
def test_discovery_is_get_only_with_a_json_405(client, path):
    response = client.post(path)
    assert response.status_code == 405
    assert response.get_json()["error"] == "invalid_request"
    assert "GET" in response.headers["Allow"]


@pytest.mark.parametrize("damage", ["missing", "unusable"])
def test_missing_or_unusable_keys_are_the_first_thing_logged_at_start(
    app_config, key_paths, caplog, damage
):
    private_path, _ = key_paths
    if damage == "missing":
        private_path.unlink()
    else:
        private_path.write_text("not a key")
    caplog.set_level(logging.INFO)
    started = create_app(app_config)
    first = caplog.records[0]
    assert first.levelname == "ERROR" and "OAuth signing keys unavailable" in first.getMessage()
    assert "oauth keys generate" in caplog.text
    with started.app_context():
        db.engine.dispose()


def test_usable_keys_log_nothing_at_start(app_config, caplog):
    caplog.set_level(logging.INFO)
    started = create_app(app_config)
    assert not [record for record in caplog.records if record.levelname == "ERROR"]
    with started.app_context():
        db.engine.dispose()


def write_rsa_pair(private_path, public_path, bits: int) -> rsa.RSAPrivateKey:
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    private_path.write_bytes(
        private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public_path.write_bytes(
        private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return private_key


def test_an_rsa_key_under_2048_bits_is_refused_like_a_corrupt_one(
    client, backend, owner, key_paths, caplog
):
    claims = jwt.decode(issue(client, backend), options={"verify_signature": False})
    weak = write_rsa_pair(*key_paths, bits=1024)
    caplog.set_level(logging.INFO)
    refused = client.post(TOKEN_PATH, data={**GRANT, **backend.body})
    assert refused.status_code == 503
    assert refused.get_json()["error"] == "temporarily_unavailable"
    with pytest.warns(InsecureKeyLengthWarning):  # PyJWT says it too
        forged = jwt.encode(
            claims, weak, algorithm="RS256", headers={"kid": keys.key_id(weak.public_key())}
        )
    api = client.get("/admin/api/me", headers={"Authorization": f"Bearer {forged}"})
    assert api.status_code == 401
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1 and "RSA-1024 key, at least 2048 bits are required" in errors[0]
    assert client.get(JWKS_PATH).get_json() == {"keys": []}
    client.post("/admin/login", data={"email": owner.email, "password": TEST_PASSWORD})
    page = client.get("/admin/profile").get_data(as_text=True)
    assert "encryption keys configuration was not complete" in page
