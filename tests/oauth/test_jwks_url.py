"""private_key_jwt with a JWKS URL: a JWKS served by the test over HTTP on 127.0.0.1
(OAUTH_ALLOW_HTTP_JWKS_URLS), cached, refreshed on an unknown kid, rate-limited, bounded in
size and time, and a server that goes down and comes back. Time moves with the `clock`.
"""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from assertions import assertion_body, claims_for, private_key, public_jwk, sign
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from oauth_helpers import TOKEN_PATH

from oauthsrv.models.oauth import PRIVATE_KEY_JWT
from oauthsrv.services import ValidationError, applications
from oauthsrv.services.applications import ClientAuth

TOKEN_URL = "http://localhost" + TOKEN_PATH


class JwksServer:
    """A JWKS endpoint the test controls: document, status, delay; it counts its hits."""

    def __init__(self):
        self.document = b'{"keys": []}'
        self.status = 200
        self.delay = 0.0
        self.location = None
        self.hits = 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                owner.hits += 1
                time.sleep(owner.delay)
                self.send_response(owner.status)
                if owner.location:
                    self.send_header("Location", owner.location)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(owner.document)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/jwks.json"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def publish(self, *keys, extra=()) -> None:
        self.document = json.dumps({"keys": [*map(public_jwk, keys), *extra]}).encode()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def jwks_server(app):
    app.config["OAUTH_ALLOW_HTTP_JWKS_URLS"] = True
    server = JwksServer()
    server.publish(private_key("RSA", "k1"))
    yield server
    server.close()


@pytest.fixture
def url_app(owner, make_application, jwks_server):
    application, _ = make_application(
        owner,
        name="JWKS URL integration",
        client_auth=ClientAuth(PRIVATE_KEY_JWT, jwks_url=jwks_server.url),
    )
    return application


def token_status(client, application, key=None, kid="k1", alg="RS256") -> int:
    key = key or private_key("RSA", "k1")
    assertion = sign(key, claims_for(application.client_id, TOKEN_URL), alg, kid=kid)
    response = client.post(TOKEN_PATH, data=assertion_body(assertion))
    if response.status_code != 200:
        assert response.get_json()["error"] == "invalid_client"
    return response.status_code


def test_authlib_client_with_keys_at_a_jwks_url(live_server, url_app, jwks_server):
    key = private_key("EC", "ec-1")
    jwks_server.publish(private_key("RSA", "k1"), key)
    token_url = live_server.url + TOKEN_PATH
    with OAuth2Session(url_app.client_id, key, token_endpoint_auth_method="private_key_jwt") as s:
        s.register_client_auth_method(
            PrivateKeyJWT(token_url, alg="ES256", headers={"kid": "ec-1"})
        )
        token = s.fetch_token(token_url, grant_type="client_credentials")
    assert token["token_type"] == "Bearer"
    assert jwks_server.hits == 1


def test_keys_are_cached_for_the_ttl(app, client, url_app, jwks_server, clock):
    for _ in range(3):
        assert token_status(client, url_app) == 200
    assert jwks_server.hits == 1
    clock.advance(seconds=app.config["OAUTH_JWKS_CACHE_SECONDS"])
    assert token_status(client, url_app) == 200
    assert jwks_server.hits == 2


def test_an_unknown_kid_fetches_again_and_finds_a_rotated_key(client, url_app, jwks_server, clock):
    assert token_status(client, url_app) == 200
    new_key = private_key("RSA", "k2")
    jwks_server.publish(private_key("RSA", "k1"), new_key)
    clock.advance(seconds=10)  # OAUTH_JWKS_MIN_REFETCH_SECONDS after the first fetch
    assert token_status(client, url_app, new_key, kid="k2") == 200
    assert jwks_server.hits == 2


def test_unknown_kids_cannot_make_the_server_hammer_the_url(client, url_app, jwks_server, clock):
    assert token_status(client, url_app) == 200
    clock.advance(seconds=10)
    for _ in range(5):
        assert token_status(client, url_app, kid="nope") == 401
        clock.advance(seconds=1)
    assert jwks_server.hits == 2  # the first fetch and one refetch for "nope"
    assert token_status(client, url_app) == 200


def test_a_jwks_url_that_is_down_refuses_then_works_when_back(client, url_app, jwks_server, clock):
    jwks_server.status = 503
    assert token_status(client, url_app) == 401
    jwks_server.status = 200
    assert token_status(client, url_app) == 401  # too soon to ask again
    clock.advance(seconds=10)
    assert token_status(client, url_app) == 200
    assert jwks_server.hits == 2


def test_keys_fetched_before_stay_in_use_while_the_url_is_down(
    app, client, url_app, jwks_server, clock, caplog
):
    assert token_status(client, url_app) == 200
    jwks_server.status = 500
    clock.advance(seconds=app.config["OAUTH_JWKS_CACHE_SECONDS"] + 1)
    assert token_status(client, url_app) == 200
    assert jwks_server.hits == 2
    assert f"JWKS URL {jwks_server.url}: HTTPError" in caplog.text


def test_a_jwks_larger_than_the_bound_is_refused(client, url_app, jwks_server):
    padding = [{"kty": "oct", "k": "A" * 1000, "kid": str(i)} for i in range(70)]
    jwks_server.publish(private_key("RSA", "k1"), extra=padding)
    assert len(jwks_server.document) > 64 * 1024
    assert token_status(client, url_app) == 401


def test_a_slow_jwks_url_times_out(app, client, url_app, jwks_server):
    app.config["OAUTH_JWKS_TIMEOUT"] = 0.3
    jwks_server.delay = 1.0
    started = time.monotonic()
    assert token_status(client, url_app) == 401
    assert time.monotonic() - started < 1.0


def test_a_redirect_is_not_followed(client, url_app, jwks_server):
    jwks_server.status = 302
    jwks_server.location = jwks_server.url + "?elsewhere"
    assert token_status(client, url_app) == 401
    assert jwks_server.hits == 1


def test_keys_we_do_not_accept_are_skipped_from_a_fetched_jwks(client, url_app, jwks_server):
    from joserfc.jwk import ECKey

    p384 = {**ECKey.generate_key("P-384").as_dict(private=False), "kid": "p384"}
    encryption = {**public_jwk(private_key("RSA", "enc")), "use": "enc"}
    jwks_server.publish(private_key("RSA", "k1"), extra=[p384, encryption, {"kty": "nope"}])
    assert token_status(client, url_app) == 200


def test_not_a_jwks_document_is_refused(client, url_app, jwks_server):
    jwks_server.document = b"<html>maintenance</html>"
    assert token_status(client, url_app) == 401


@pytest.mark.parametrize(
    "url, allow_http, message",
    [
        ("http://127.0.0.1:9/jwks", False, "must use HTTPS"),
        ("http://keys.example.com/jwks", True, "must use HTTPS"),
        ("ftp://keys.example.com/jwks", True, "must use HTTPS"),
        ("https://user:pw@keys.example.com/jwks", False, "no user name"),
        ("https://keys.example.com/jwks#keys", False, "no #fragment"),
        ("https:///jwks", False, "with a host"),
        ("https://keys.example.com:99999/jwks", False, "Not a valid URL"),
        ("https://keys.example.com/" + "a" * 2100, False, "At most 2048"),
    ],
)
def test_jwks_urls_must_be_https(app, url, allow_http, message):
    app.config["OAUTH_ALLOW_HTTP_JWKS_URLS"] = allow_http
    with pytest.raises(ValidationError, match=message):
        applications.clean_client_auth(ClientAuth(PRIVATE_KEY_JWT, jwks_url=url))


@pytest.mark.parametrize(
    "url", ["https://keys.example.com/.well-known/jwks.json", "http://localhost:8080/jwks"]
)
def test_https_and_allowed_loopback_http_are_accepted(app, url):
    app.config["OAUTH_ALLOW_HTTP_JWKS_URLS"] = True
    assert applications.clean_client_auth(ClientAuth(PRIVATE_KEY_JWT, jwks_url=url))[2] == url


def test_a_key_and_a_url_together_are_refused(app):
    with pytest.raises(ValidationError, match="either a public key or a JWKS URL"):
        applications.clean_client_auth(
            ClientAuth(PRIVATE_KEY_JWT, json.dumps(public_jwk(private_key("EC"))), "https://x/j")
        )
