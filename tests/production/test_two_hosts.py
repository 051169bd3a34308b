"""Two hosts: two gunicorn instances on different ports sharing one PostgreSQL and one Redis.

They share what identical hosts behind a load balancer share: the database, Redis, the
settings (SECRET_KEY, issuer) and the key files (one directory, as on a shared volume).
"""

import time

import jwt
import pytest
import redis
import requests
from production_helpers import BackOfficeUser, api_me, create_user, make_env, new_database, token

from scripts.cluster import Gunicorn, PrivateRedis, flask_cli, wait_until

RECHECK_SECONDS = 1
OWNER = "owner@two-hosts.example"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def hosts(tmp_path_factory, postgres_server):
    """Hosts A and B; yields (a, b, env)."""
    workdir = tmp_path_factory.mktemp("two-hosts")
    shared_redis = PrivateRedis().start()
    uri = new_database(postgres_server)
    env = make_env(workdir, uri, shared_redis.uri, OAUTH_KEYS_RECHECK_SECONDS=RECHECK_SECONDS)
    create_user(env, OWNER)
    a = Gunicorn(env, 2, workdir / "a.log")
    b = Gunicorn(env, 2, workdir / "b.log")
    try:
        a.start()
        b.start()
        yield a, b, env, shared_redis
    finally:
        a.stop()
        b.stop()
        shared_redis.stop()


def test_an_application_created_on_a_gets_a_token_on_b_that_works_on_a(hosts):
    a, b, _, _ = hosts
    _, client_id, secret = BackOfficeUser(a.url, OWNER).login().create_application("made on A")
    issued = token(b.url, client_id, secret)
    assert issued.status_code == 200
    assert api_me(a.url, issued.json()["access_token"]).status_code == 200


def test_deactivating_on_b_makes_the_next_call_on_a_fail(hosts):
    a, b, _, _ = hosts
    app_id, client_id, secret = BackOfficeUser(a.url, OWNER).login().create_application("to stop")
    access_token = token(a.url, client_id, secret).json()["access_token"]
    assert api_me(a.url, access_token).status_code == 200

    on_b = BackOfficeUser(b.url, OWNER).login()
    assert on_b.post(f"/admin/profile/applications/{app_id}/deactivate").status_code == 200
    assert api_me(a.url, access_token).status_code == 401
    assert token(a.url, client_id, secret).status_code == 401


def published_kids(host: Gunicorn) -> set[str]:
    keys = requests.get(host.url + "/.well-known/jwks.json", timeout=5).json()["keys"]
    return {key["kid"] for key in keys}


def test_a_key_rotated_on_a_is_published_by_b_within_the_recheck_interval(hosts):
    a, b, env, _ = hosts
    _, client_id, secret = BackOfficeUser(a.url, OWNER).login().create_application("rotation")
    old_token = token(b.url, client_id, secret).json()["access_token"]
    old_kid = jwt.get_unverified_header(old_token)["kid"]
    assert published_kids(b) == {old_kid}

    result = flask_cli(env, "oauth", "keys", "rotate")  # the CLI on host A
    rotated_at = time.monotonic()
    new_kid = result.stdout.strip().rsplit(" ", 1)[-1]
    assert new_kid != old_kid
    assert wait_until(lambda: new_kid in published_kids(b), RECHECK_SECONDS + 1, 0.05)
    assert time.monotonic() - rotated_at <= RECHECK_SECONDS + 1
    assert published_kids(b) == {old_kid, new_kid}  # the old key stays until its tokens expire
    new_token = token(b.url, client_id, secret).json()["access_token"]
    assert jwt.get_unverified_header(new_token)["kid"] == new_kid
    assert api_me(a.url, old_token).status_code == 200
    assert api_me(a.url, new_token).status_code == 200


def test_the_failed_authentication_throttle_counts_both_hosts_together(hosts):
    a, b, _, shared_redis = hosts
    redis.Redis.from_url(shared_redis.uri).flushdb()  # earlier tests' failures from this IP
    client_id = "unknown-client-for-throttling"
    statuses = [token(host.url, client_id, "wrong").status_code for host in (a, b) * 5]
    assert statuses == [401] * 10  # 10 per (client id, IP) in 60 s: 5 on A and 5 on B
    assert token(a.url, client_id, "wrong").status_code == 429
    assert token(b.url, client_id, "wrong").status_code == 429


def test_a_login_session_ended_on_a_is_ended_on_b(hosts):
    a, b, _, _ = hosts
    on_a = BackOfficeUser(a.url, OWNER).login()
    copy = requests.Session()
    for cookie in on_a.http.cookies:  # the same browser cookie, sent to the other host
        copy.cookies.set(cookie.name, cookie.value)
    assert copy.get(b.url + "/admin/profile", allow_redirects=False, timeout=5).status_code == 200

    assert on_a.post("/admin/logout").status_code in (200, 302, 303)
    ended = copy.get(b.url + "/admin/profile", allow_redirects=False, timeout=5)
    assert ended.status_code in (302, 303)
    assert "/admin/login" in ended.headers["Location"]
