"""Failed client authentication is throttled per (client id, IP) and per IP, never per client id."""

import os
import socket

import pytest
import redis
from oauth_helpers import GRANT, TOKEN_PATH

from oauthsrv import create_app
from oauthsrv.extensions import db

# This suite's own Redis database (flushed): OAUTHSRV_TEST_REDIS_URI picks another one.
REDIS_URI = os.environ.get("OAUTHSRV_TEST_REDIS_URI", "redis://127.0.0.1:6379/5")


@pytest.fixture
def other_app():
    """Another app on the same database (another worker or host); its pool is closed after."""
    made = []

    def make(config):
        made.append(create_app(config))
        return made[-1]

    yield make
    for app in made:
        with app.app_context():
            db.engine.dispose()


def post(client, creds, ip="10.0.0.1", secret=None, client_id=None, headers=None):
    data = {
        **GRANT,
        "client_id": client_id or creds.client_id,
        "client_secret": secret or creds.secret,
    }
    return client.post(
        TOKEN_PATH, data=data, environ_base={"REMOTE_ADDR": ip}, headers=headers or {}
    )


def fail(client, creds, times, **kwargs):
    for _ in range(times):
        assert post(client, creds, secret="wrong", **kwargs).status_code == 401


def assert_throttled(response):
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) >= 1
    assert response.get_json()["error"] == "temporarily_unavailable"
    assert response.headers["Cache-Control"] == "no-store"


def test_ten_failures_for_one_client_from_one_ip_lock_that_pair(client, backend):
    fail(client, backend, 10)
    # Even the right secret is refused while the window lasts.
    assert_throttled(post(client, backend))


def test_the_same_client_from_another_address_is_not_locked_out(client, backend):
    fail(client, backend, 10, ip="10.0.0.1")
    assert post(client, backend, ip="10.0.0.2").status_code == 200


def test_other_clients_from_the_same_address_still_work_under_the_ip_limit(
    client, backend, frontend
):
    fail(client, backend, 10)
    assert post(client, frontend).status_code == 200


def test_thirty_failures_from_one_ip_for_any_client_ids_lock_the_ip(client, backend, frontend):
    for index in range(30):
        response = post(client, backend, client_id=f"unknown-{index}", secret="x")
        assert response.status_code == 401
    assert_throttled(post(client, frontend))
    assert post(client, frontend, ip="10.0.0.9").status_code == 200


def test_nine_failures_then_success_is_fine(client, backend):
    fail(client, backend, 9)
    assert post(client, backend).status_code == 200


def test_introspection_and_revocation_failures_count_too(client, backend):
    for _ in range(10):
        response = client.post(
            "/oauth2-token/revoke",
            data={"token": "x", **backend.body, "client_secret": "wrong"},
            environ_base={"REMOTE_ADDR": "10.0.0.1"},
        )
        assert response.status_code == 401
    assert_throttled(post(client, backend))


def test_forwarded_for_is_ignored_without_trusted_proxies(client, backend):
    """Without TRUSTED_PROXIES, a client cannot escape its counter by inventing addresses."""
    for index in range(10):
        spoof = {"X-Forwarded-For": f"192.0.2.{index}"}
        post(client, backend, secret="wrong", headers=spoof)
    assert_throttled(post(client, backend, headers={"X-Forwarded-For": "192.0.2.200"}))


def test_behind_a_trusted_proxy_the_forwarded_address_counts(app_config, backend, other_app):
    proxied = other_app({**app_config, "TRUSTED_PROXIES": 1})
    client = proxied.test_client()
    for _ in range(10):
        post(client, backend, secret="wrong", headers={"X-Forwarded-For": "198.51.100.7"})
    assert_throttled(post(client, backend, headers={"X-Forwarded-For": "198.51.100.7"}))
    # Same proxy address, another real client: not throttled.
    assert post(client, backend, headers={"X-Forwarded-For": "198.51.100.8"}).status_code == 200


def _redis_available() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture
def redis_db():
    if not _redis_available():
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    connection = redis.Redis.from_url(REDIS_URI)
    connection.flushdb()
    yield connection
    connection.flushdb()
    connection.close()


def test_counters_in_redis_are_shared_between_workers(app_config, backend, redis_db, other_app):
    """Two app instances (two gunicorn workers, or two hosts) see the same counters."""
    config = {**app_config, "RATELIMIT_STORAGE_URI": REDIS_URI}
    worker_a = other_app(config).test_client()
    worker_b = other_app(config).test_client()
    fail(worker_a, backend, 5)
    fail(worker_b, backend, 5)
    assert_throttled(post(worker_a, backend))
    assert_throttled(post(worker_b, backend))
    assert redis_db.dbsize() > 0
