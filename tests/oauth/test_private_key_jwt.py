"""private_key_jwt (RFC 7523 §2.2) at the token, introspection and revocation endpoints.

Real clients: Authlib's OAuth2Session with its PrivateKeyJWT auth (RSA and EC keys, its default
claims: exp = iat + 3600) against a served app. Every refused assertion gets the same 401
invalid_client as a wrong secret.
"""

import json
import logging
import os
import time

import pytest
import requests
from assertions import (
    JWT_BEARER,
    assertion_body,
    claims_for,
    hs256_with_public_key,
    private_key,
    public_jwk,
    public_pem,
    sign,
    unsigned,
)
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from oauth_helpers import (
    GRANT,
    INTROSPECTION_PATH,
    METADATA_PATH,
    REVOCATION_PATH,
    TOKEN_PATH,
    basic,
)

from oauthsrv import create_app
from oauthsrv.extensions import db
from oauthsrv.models.oauth import CLIENT_SECRET, PRIVATE_KEY_JWT
from oauthsrv.services import ValidationError, applications, client_keys
from oauthsrv.services.applications import ClientAuth

ISSUER = "http://localhost"
TOKEN_URL = ISSUER + TOKEN_PATH


@pytest.fixture
def make_keyed(owner, make_application):
    """An application on private_key_jwt with the public half of `key` pasted (PEM or JWK)."""

    def make(key, name="Keyed integration", as_pem=False):
        pasted = public_pem(key) if as_pem else json.dumps(public_jwk(key))
        application, _ = make_application(
            owner, name=name, client_auth=ClientAuth(PRIVATE_KEY_JWT, public_keys=pasted)
        )
        return application

    return make


@pytest.fixture
def rsa_app(make_keyed):
    return make_keyed(private_key("RSA"), as_pem=True)


def post_assertion(client, assertion: str, path: str = TOKEN_PATH, **extra):
    return client.post(path, data=assertion_body(assertion, **extra))


def wrong_secret_answer(client, backend):
    return client.post(TOKEN_PATH, data=GRANT, headers=basic(backend.client_id, "wrong"))


def assert_invalid_client(response, reference) -> None:
    assert response.status_code == 401
    assert response.get_json()["error"] == "invalid_client"
    assert response.get_data() == reference.get_data()
    assert response.headers["WWW-Authenticate"] == reference.headers["WWW-Authenticate"]


# -- real clients -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind, alg, as_pem",
    [
        ("RSA", "RS256", True),
        ("RSA", "PS256", False),
        ("EC", "ES256", True),
        ("EC", "ES256", False),
    ],
)
def test_authlib_private_key_jwt_client_gets_a_token(live_server, make_keyed, kind, alg, as_pem):
    key = private_key(kind)
    application = make_keyed(key, as_pem=as_pem)
    token_url = live_server.url + TOKEN_PATH
    with OAuth2Session(
        application.client_id, key, token_endpoint_auth_method="private_key_jwt"
    ) as session:
        session.register_client_auth_method(PrivateKeyJWT(token_url, alg=alg))
        token = session.fetch_token(token_url, grant_type="client_credentials")
    assert token["token_type"] == "Bearer" and token["access_token"]
    # The token works at the API, as one got with a secret does.
    me = requests.get(
        live_server.url + "/admin/api/me",
        headers={"Authorization": f"Bearer {token['access_token']}"},
        timeout=10,
    )
    assert me.status_code == 200


def test_ed25519_key_signs_with_the_ed25519_algorithm(client, make_keyed):
    key = private_key("OKP")
    application = make_keyed(key, as_pem=True)
    response = post_assertion(
        client, sign(key, claims_for(application.client_id, TOKEN_URL), "Ed25519")
    )
    assert response.status_code == 200, response.get_json()


@pytest.mark.parametrize("audience", [ISSUER, TOKEN_URL, [TOKEN_URL, "https://elsewhere"]])
def test_the_audience_may_be_the_issuer_or_the_token_endpoint(client, rsa_app, audience):
    assertion = sign(private_key("RSA"), claims_for(rsa_app.client_id, audience))
    assert post_assertion(client, assertion).status_code == 200


def test_a_matching_client_id_may_accompany_the_assertion(client, rsa_app):
    assertion = sign(private_key("RSA"), claims_for(rsa_app.client_id, TOKEN_URL))
    assert post_assertion(client, assertion, client_id=rsa_app.client_id).status_code == 200


def test_the_log_says_private_key_jwt_and_never_the_assertion(client, rsa_app, caplog):
    assertion = sign(private_key("RSA"), claims_for(rsa_app.client_id, TOKEN_URL))
    caplog.set_level(logging.INFO, logger="oauthsrv.oauth")
    post_assertion(client, assertion)
    post_assertion(client, assertion)  # replayed
    lines = [r.getMessage() for r in caplog.records if r.name == "oauthsrv.oauth"]
    assert f"client_id='{rsa_app.client_id}' outcome=issued credential=private_key_jwt" in lines[0]
    assert f"client_id='{rsa_app.client_id}' outcome=invalid_client credential=-" in lines[1]
    assert assertion.split(".")[2] not in caplog.text


# -- every refusal is the same 401 ------------------------------------------------------------


def refused_cases():
    rsa = private_key("RSA")
    return {
        "wrong aud": lambda cid: sign(rsa, claims_for(cid, "https://other.example.com/token")),
        "no aud": lambda cid: sign(rsa, claims_for(cid, TOKEN_URL, aud=None)),
        "expired": lambda cid: sign(rsa, claims_for(cid, TOKEN_URL, exp=int(time.time()) - 120)),
        "no exp": lambda cid: sign(rsa, claims_for(cid, TOKEN_URL, exp=None)),
        "exp as text": lambda cid: sign(rsa, claims_for(cid, TOKEN_URL, exp="9999999999")),
        "exp too far": lambda cid: sign(
            rsa, claims_for(cid, TOKEN_URL, exp=int(time.time()) + 3600 + 300)
        ),
        "wrong iss": lambda cid: sign(rsa, claims_for(cid, TOKEN_URL, iss="someone-else")),
        "no iss": lambda cid: sign(rsa, claims_for(cid, TOKEN_URL, iss=None)),
        "no jti": lambda cid: sign(rsa, claims_for(cid, TOKEN_URL, jti=None)),
        "jti not text": lambda cid: sign(rsa, claims_for(cid, TOKEN_URL, jti=42)),
        "alg none": lambda cid: unsigned(claims_for(cid, TOKEN_URL)),
        "HS256 with the public key": lambda cid: hs256_with_public_key(
            public_pem(rsa), claims_for(cid, TOKEN_URL)
        ),
        "unknown kid": lambda cid: sign(rsa, claims_for(cid, TOKEN_URL), kid="not-registered"),
        "alg of another key type": lambda cid: sign(
            private_key("EC"), claims_for(cid, TOKEN_URL), "ES256"
        ),
        "another RSA key": lambda cid: sign(
            private_key("RSA", "other"), claims_for(cid, TOKEN_URL)
        ),
        "not a JWT": lambda cid: "not.a.jwt",
        "tampered payload": lambda cid: _tampered(sign(rsa, claims_for(cid, TOKEN_URL)), cid),
    }


def _tampered(assertion: str, client_id: str) -> str:
    header, _, signature = assertion.split(".")
    other = sign(private_key("RSA"), claims_for(client_id, TOKEN_URL, scope="x")).split(".")[1]
    return f"{header}.{other}.{signature}"


@pytest.mark.parametrize("case", list(refused_cases()))
def test_a_bad_assertion_is_refused_like_a_wrong_secret(client, rsa_app, backend, case):
    assertion = refused_cases()[case](rsa_app.client_id)
    assert_invalid_client(post_assertion(client, assertion), wrong_secret_answer(client, backend))


def test_a_replayed_assertion_is_refused(client, rsa_app, backend):
    assertion = sign(private_key("RSA"), claims_for(rsa_app.client_id, TOKEN_URL))
    assert post_assertion(client, assertion).status_code == 200
    assert_invalid_client(post_assertion(client, assertion), wrong_secret_answer(client, backend))


def test_a_jti_is_refused_on_another_worker_sharing_the_database(app_config, client, rsa_app):
    assertion = sign(private_key("RSA"), claims_for(rsa_app.client_id, TOKEN_URL))
    assert post_assertion(client, assertion).status_code == 200
    other_worker = create_app(app_config)
    response = other_worker.test_client().post(TOKEN_PATH, data=assertion_body(assertion))
    assert response.status_code == 401


def test_the_same_jti_from_two_clients_is_not_a_replay(client, make_keyed):
    first = make_keyed(private_key("RSA"), name="First", as_pem=True)
    second = make_keyed(private_key("EC"), name="Second")
    jti = "shared-jti-value"
    a = sign(private_key("RSA"), claims_for(first.client_id, TOKEN_URL, jti=jti))
    b = sign(private_key("EC"), claims_for(second.client_id, TOKEN_URL, jti=jti), "ES256")
    assert post_assertion(client, a).status_code == 200
    assert post_assertion(client, b).status_code == 200


def test_wrong_sub_names_another_client_whose_key_did_not_sign(
    client, rsa_app, make_keyed, backend
):
    other = make_keyed(private_key("EC"), name="Other")
    claims = claims_for(rsa_app.client_id, TOKEN_URL, sub=other.client_id, iss=other.client_id)
    assertion = sign(private_key("RSA"), claims)
    assert_invalid_client(post_assertion(client, assertion), wrong_secret_answer(client, backend))


def test_an_unknown_sub_is_refused(client, backend):
    assertion = sign(private_key("RSA"), claims_for("no-such-client", TOKEN_URL))
    assert_invalid_client(post_assertion(client, assertion), wrong_secret_answer(client, backend))


def test_a_client_id_naming_another_client_is_refused(client, rsa_app, backend):
    assertion = sign(private_key("RSA"), claims_for(rsa_app.client_id, TOKEN_URL))
    response = post_assertion(client, assertion, client_id=backend.client_id)
    assert_invalid_client(response, wrong_secret_answer(client, backend))


@pytest.mark.parametrize(
    "body",
    [
        {"client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:saml2-bearer"},
        {"client_assertion_type": JWT_BEARER, "client_assertion": ""},
        {"client_assertion_type": ""},
    ],
)
def test_an_assertion_of_another_type_or_empty_is_refused(client, rsa_app, backend, body):
    data = {"client_assertion": "x.y.z", **GRANT, **body}
    assert_invalid_client(client.post(TOKEN_PATH, data=data), wrong_secret_answer(client, backend))


def test_a_secret_and_an_assertion_together_are_a_malformed_request(client, rsa_app, backend):
    assertion = sign(private_key("RSA"), claims_for(rsa_app.client_id, TOKEN_URL))
    response = post_assertion(client, assertion, client_secret="x")
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_request"
    with_header = client.post(TOKEN_PATH, data=assertion_body(assertion), headers=backend.basic)
    assert with_header.status_code == 400


def test_an_application_on_private_key_jwt_refuses_its_secret(client, owner, make_application):
    application, secret = make_application(owner, name="Switching")
    assert (
        client.post(
            TOKEN_PATH, data=GRANT, headers=basic(application.client_id, secret)
        ).status_code
        == 200
    )
    pem = public_pem(private_key("RSA"))
    applications.set_client_auth(application, ClientAuth(PRIVATE_KEY_JWT, pem), actor="test")
    refused = client.post(TOKEN_PATH, data=GRANT, headers=basic(application.client_id, secret))
    assert refused.status_code == 401
    assertion = sign(private_key("RSA"), claims_for(application.client_id, TOKEN_URL))
    assert post_assertion(client, assertion).status_code == 200
    # And back: the secret works again, assertions are refused.
    applications.set_client_auth(application, ClientAuth(CLIENT_SECRET), actor="test")
    assert application.client_jwks is None
    again = client.post(TOKEN_PATH, data=GRANT, headers=basic(application.client_id, secret))
    assert again.status_code == 200
    assertion = sign(private_key("RSA"), claims_for(application.client_id, TOKEN_URL))
    assert post_assertion(client, assertion).status_code == 401


def test_an_application_on_a_secret_refuses_assertions(client, backend):
    assertion = sign(private_key("RSA"), claims_for(backend.client_id, TOKEN_URL))
    assert_invalid_client(post_assertion(client, assertion), wrong_secret_answer(client, backend))


def test_an_inactive_application_is_refused(client, rsa_app, backend):
    applications.set_application_active(rsa_app, False, actor="test")
    assertion = sign(private_key("RSA"), claims_for(rsa_app.client_id, TOKEN_URL))
    assert_invalid_client(post_assertion(client, assertion), wrong_secret_answer(client, backend))


def test_refused_assertions_count_towards_throttling(app, client, rsa_app):
    app.config["OAUTH_CLIENT_FAILURES_PER_CLIENT_IP"] = 2
    for _ in range(2):
        assert (
            post_assertion(client, unsigned(claims_for(rsa_app.client_id, TOKEN_URL))).status_code
            == 401
        )
    good = sign(private_key("RSA"), claims_for(rsa_app.client_id, TOKEN_URL))
    assert post_assertion(client, good).status_code == 429


# -- introspection, revocation, metadata ------------------------------------------------------


def test_introspection_and_revocation_accept_private_key_jwt(live_server, make_keyed):
    key = private_key("EC")
    application = make_keyed(key)
    token_url = live_server.url + TOKEN_PATH
    with OAuth2Session(
        application.client_id,
        key,
        token_endpoint_auth_method="private_key_jwt",
        revocation_endpoint_auth_method="private_key_jwt",
    ) as session:
        # No fixed endpoint: Authlib signs aud = the URL it posts to, each endpoint's own.
        session.register_client_auth_method(PrivateKeyJWT(alg="ES256"))
        token = session.fetch_token(token_url, grant_type="client_credentials")["access_token"]
        introspected = session.introspect_token(live_server.url + INTROSPECTION_PATH, token=token)
        assert introspected.status_code == 200 and introspected.json()["active"] is True
        revoked = session.revoke_token(live_server.url + REVOCATION_PATH, token=token)
        assert revoked.status_code == 200
        again = session.introspect_token(live_server.url + INTROSPECTION_PATH, token=token)
        assert again.json() == {"active": False}


def test_metadata_lists_private_key_jwt_and_its_algorithms(client):
    document = client.get(METADATA_PATH).get_json()
    assert "private_key_jwt" in document["token_endpoint_auth_methods_supported"]
    assert document["token_endpoint_auth_signing_alg_values_supported"] == (
        client_keys.SIGNING_ALGORITHMS
    )


# -- what may be registered -------------------------------------------------------------------


def _short_rsa_pem() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(65537, 1024).public_key()
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def _p384_jwk() -> str:
    from joserfc.jwk import ECKey

    return json.dumps(ECKey.generate_key("P-384").as_dict(private=False))


@pytest.mark.parametrize(
    "pasted, message",
    [
        ("", "Give either a public key or a JWKS URL"),
        ("hello", "Not a PEM public key nor JSON"),
        ("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----", "Not a PEM public key"),
        (lambda: _short_rsa_pem(), "at least 2048 bits"),
        (lambda: _p384_jwk(), "P-256"),
        (lambda: private_key("RSA").as_pem(private=True).decode(), "This is a private key"),
        (lambda: json.dumps(private_key("EC").as_dict(private=True)), "This is a private key"),
        ('{"kty": "oct", "k": "c2VjcmV0"}', "Use an RSA, EC P-256 or Ed25519 key"),
        ('{"keys": []}', "holds no keys"),
        (
            lambda: json.dumps(
                {"keys": [public_jwk(private_key("EC")), public_jwk(private_key("OKP"))]}
            ),
            "each needs a kid",
        ),
        (
            lambda: json.dumps({**public_jwk(private_key("EC")), "use": "enc"}),
            '"use": "sig"',
        ),
        (
            lambda: json.dumps({**public_jwk(private_key("EC")), "alg": "RS256"}),
            "EC keys sign with one of: ES256",
        ),
    ],
)
def test_unusable_keys_are_refused_with_a_reason(app, pasted, message):
    pasted = pasted() if callable(pasted) else pasted
    with pytest.raises(ValidationError, match=message):
        applications.clean_client_auth(ClientAuth(PRIVATE_KEY_JWT, public_keys=pasted))


def test_a_jwks_of_several_keys_is_stored_public_only(app):
    keys = [
        {**public_jwk(private_key("RSA")), "kid": "r1"},
        {**public_jwk(private_key("EC")), "kid": "e1", "x5c": ["ignored"]},
    ]
    _, stored, _ = applications.clean_client_auth(
        ClientAuth(PRIVATE_KEY_JWT, public_keys=json.dumps({"keys": keys}))
    )
    document = json.loads(stored)
    assert [key["kid"] for key in document["keys"]] == ["r1", "e1"]
    assert "x5c" not in document["keys"][1] and all("d" not in key for key in document["keys"])
    assert client_keys.describe_keys(stored) == ["RSA 2048 (kid r1)", "EC P-256 (kid e1)"]


def test_a_jwks_picks_the_key_by_kid(client, owner, make_application):
    rsa, ec = private_key("RSA", "r1"), private_key("EC", "e1")
    jwks = json.dumps({"keys": [public_jwk(rsa), public_jwk(ec)]})
    application, _ = make_application(
        owner, name="Two keys", client_auth=ClientAuth(PRIVATE_KEY_JWT, public_keys=jwks)
    )
    claims = claims_for(application.client_id, TOKEN_URL)
    assert post_assertion(client, sign(rsa, claims, kid="r1")).status_code == 200
    claims = claims_for(application.client_id, TOKEN_URL)
    assert post_assertion(client, sign(ec, claims, "ES256", kid="e1")).status_code == 200
    # The RSA key's kid on an EC signature: the alg does not fit the key named.
    claims = claims_for(application.client_id, TOKEN_URL)
    assert post_assertion(client, sign(ec, claims, "ES256", kid="r1")).status_code == 401


def test_stored_keys_survive_a_reload(app, rsa_app):
    db.session.expire_all()
    assert json.loads(rsa_app.client_jwks)["keys"][0]["kty"] == "RSA"


# -- where used jtis are kept -----------------------------------------------------------------

# The tests' Redis database (tests/oauth/test_client_throttling.py); only our keys are removed.
REDIS_URL = os.environ.get("OAUTHSRV_TEST_REDIS_URI", "redis://127.0.0.1:6379/5")


@pytest.fixture
def redis_store(app):
    import redis

    from oauthsrv.services.assertion_replay import REDIS_PREFIX

    app.config["OAUTH_ASSERTION_JTI_STORE"] = REDIS_URL
    connection = redis.Redis.from_url(REDIS_URL)
    yield connection
    for key in connection.scan_iter(REDIS_PREFIX + "*"):
        connection.delete(key)
    connection.close()


def test_used_jtis_can_live_in_redis(client, rsa_app, redis_store):
    from oauthsrv.models import ClientAssertionUse

    assertion = sign(private_key("RSA"), claims_for(rsa_app.client_id, TOKEN_URL))
    assert post_assertion(client, assertion).status_code == 200
    assert post_assertion(client, assertion).status_code == 401
    [key] = list(redis_store.scan_iter("oauthsrv:assertion-jti:*"))
    assert 3500 < redis_store.ttl(key) <= 3601  # kept until the assertion expires
    assert db.session.query(ClientAssertionUse).count() == 0


def test_an_unreachable_redis_leaves_replay_protection_to_the_database(
    app, client, rsa_app, caplog
):
    app.config["OAUTH_ASSERTION_JTI_STORE"] = "redis://127.0.0.1:1/0"  # nothing listens there
    assertion = sign(private_key("RSA"), claims_for(rsa_app.client_id, TOKEN_URL))
    assert post_assertion(client, assertion).status_code == 200
    assert post_assertion(client, assertion).status_code == 401
    assert "Redis unreachable" in caplog.text


def test_cleanup_forgets_expired_assertion_ids_only(runner, client, rsa_app, clock):
    from oauthsrv.models import ClientAssertionUse

    assertion = sign(private_key("RSA"), claims_for(rsa_app.client_id, TOKEN_URL))
    assert post_assertion(client, assertion).status_code == 200
    result = runner.invoke(args=["oauth", "cleanup"])
    assert json.loads(result.output)["assertion_ids_removed"] == 0
    clock.advance(hours=2)
    result = runner.invoke(args=["oauth", "cleanup"])
    assert json.loads(result.output)["assertion_ids_removed"] == 1
    assert db.session.query(ClientAssertionUse).count() == 0


# -- command line -----------------------------------------------------------------------------


def run_json(runner, *args):
    result = runner.invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.output.splitlines()]


def test_cli_creates_a_private_key_jwt_application_that_gets_a_token(
    runner, client, owner, tmp_path
):
    key_file = tmp_path / "client.pub.pem"
    key_file.write_text(public_pem(private_key("EC")))
    [created] = run_json(
        runner,
        *("oauth", "apps", "create", "--owner", owner.email, "--name", "Signed"),
        *("--auth", "private_key_jwt", "--jwk", str(key_file)),
    )
    assert created == {"client_id": created["client_id"], "client_auth_method": "private_key_jwt"}
    assertion = sign(private_key("EC"), claims_for(created["client_id"], TOKEN_URL), "ES256")
    assert post_assertion(client, assertion).status_code == 200
    [listed] = run_json(runner, "oauth", "apps", "list")
    assert listed["client_auth_method"] == "private_key_jwt"


def test_cli_set_auth_switches_both_ways(runner, client, backend, tmp_path):
    key_file = tmp_path / "jwks.json"
    key_file.write_text(json.dumps({"keys": [public_jwk(private_key("RSA", "r1"))]}))
    cid = backend.client_id
    [out] = run_json(
        runner,
        "oauth",
        "apps",
        "set-auth",
        cid,
        "--auth",
        "private_key_jwt",
        "--jwk",
        str(key_file),
    )
    assert out == {
        "client_id": cid,
        "client_auth_method": "private_key_jwt",
        "keys": ["RSA 2048 (kid r1)"],
        "jwks_url": None,
    }
    assert client.post(TOKEN_PATH, data=GRANT, headers=backend.basic).status_code == 401
    claims = claims_for(cid, TOKEN_URL)
    assert (
        post_assertion(client, sign(private_key("RSA", "r1"), claims, kid="r1")).status_code == 200
    )
    [out] = run_json(runner, "oauth", "apps", "set-auth", cid, "--auth", "client_secret")
    assert out["client_auth_method"] == "client_secret" and out["keys"] == []
    assert client.post(TOKEN_PATH, data=GRANT, headers=backend.basic).status_code == 200


@pytest.mark.parametrize(
    "args, message",
    [
        (["--auth", "private_key_jwt"], "Give either a public key or a JWKS URL"),
        (["--auth", "private_key_jwt", "--jwks-url", "http://keys.example.com/jwks"], "HTTPS"),
        (["--jwks-url", "https://keys.example.com/jwks"], "go with --auth private_key_jwt"),
    ],
)
def test_cli_set_auth_refuses_bad_input_and_changes_nothing(runner, backend, args, message):
    result = runner.invoke(args=["oauth", "apps", "set-auth", backend.client_id, *args])
    assert result.exit_code == 1 and message in result.output
    db.session.refresh(backend.application)
    assert backend.application.client_auth_method == "client_secret"


def test_cli_refuses_a_private_key_file(runner, owner, tmp_path):
    key_file = tmp_path / "client.pem"
    key_file.write_text(private_key("RSA").as_pem(private=True).decode())
    result = runner.invoke(
        args=[
            *("oauth", "apps", "create", "--owner", owner.email, "--name", "Leaky"),
            *("--auth", "private_key_jwt", "--jwk", str(key_file)),
        ]
    )
    assert result.exit_code == 1 and "This is a private key" in result.output
    assert applications.all_applications() == []


def test_replay_is_refused_on_sqlalchemys_path_too(app, client, rsa_app):
    """With a cursor listener (tracing, query counting) the jti write goes through SQLAlchemy."""
    from sqlalchemy import event

    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assertion = sign(private_key("RSA"), claims_for(rsa_app.client_id, TOKEN_URL))
        assert post_assertion(client, assertion).status_code == 200
        assert post_assertion(client, assertion).status_code == 401
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert sum("client_assertion_uses" in statement for statement in statements) == 2
