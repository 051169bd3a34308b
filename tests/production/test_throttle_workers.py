"""Throttling across the workers of one host without Redis: `gunicorn -w 2` holds the
documented limits (10 wrong secrets per client id and IP, 5 failed logins per account), not
twice them. The counters are the host's file (THROTTLE_FILE). The same gunicorn also shows a
chunked body over 64 KiB answered 413 (tests/test_chunked_bodies.py: the dev server)."""

import http.client
import re
from urllib.parse import urlencode, urlsplit

import pytest
import requests
from credentials import basic
from production_helpers import PASSWORD, create_app_for, create_user, make_env, token

from tests.test_chunked_bodies import chunked_request

pytestmark = pytest.mark.slow

OWNER = "owner@prod.example"


@pytest.fixture
def server(tmp_path, servers):
    env = make_env(
        tmp_path,
        f"sqlite:///{tmp_path / 'db.sqlite'}",
        RATELIMIT_STORAGE_URI="",  # the default: no Redis, no per-process memory
        THROTTLE_FILE=tmp_path / "throttle.sqlite",
    )
    create_user(env, OWNER)
    server = servers.start(env, tmp_path / "gunicorn.log", workers=2)
    server.app = create_app_for(env, OWNER)
    return server


class HeldRequest:
    """A POST sent but for its last byte. The sync worker that accepted it waits for that byte,
    so every request sent meanwhile is answered by the other worker: which worker answers what
    is then certain, not left to the kernel (one idle worker may otherwise take them all)."""

    def __init__(self, url: str, path: str, body: bytes, headers: dict):
        parts = urlsplit(url)
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        self.connection.putrequest("POST", path)
        for name, value in {**headers, "Content-Length": str(len(body))}.items():
            self.connection.putheader(name, value)
        self.connection.endheaders(body[:-1])
        self.last_byte = body[-1:]

    def finish(self) -> int:
        self.connection.send(self.last_byte)
        response = self.connection.getresponse()
        response.read()
        self.connection.close()
        return response.status


def held_token_request(url: str, client_id: str, secret: str) -> HeldRequest:
    headers = {"Content-Type": "application/x-www-form-urlencoded", **basic(client_id, secret)}
    return HeldRequest(url, "/oauth2-token", b"grant_type=client_credentials", headers)


def test_wrong_secrets_are_throttled_after_10_across_both_workers(server):
    client_id = server.app["client_id"]
    held = held_token_request(server.url, client_id, "wrong")  # one worker waits on it
    answers = [token(server.url, client_id, "wrong").status_code for _ in range(10)]
    assert answers == [401] * 10  # all from the other worker
    # The waiting worker counts the 11th wrong secret: it sees the other worker's ten.
    assert held.finish() == 429
    assert [token(server.url, client_id, "wrong").status_code for _ in range(3)] == [429] * 3
    assert token(server.url, client_id, server.app["client_secret"]).status_code == 429
    assert len(answering_pids(server, "POST /oauth2-token")) == 2


def login_form(url: str) -> tuple[requests.Session, str]:
    """A new session (its own connection, so either worker may answer) and its CSRF token."""
    session = requests.Session()
    page = session.get(url + "/admin/login", timeout=10).text
    return session, re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]


def failed_login(url: str, email: str, password: str) -> int:
    session, csrf = login_form(url)
    data = {"email": email, "password": password, "csrf_token": csrf}
    answer = session.post(url + "/admin/login", data=data, allow_redirects=False, timeout=10)
    session.close()
    return answer.status_code


def held_login(url: str, email: str, password: str) -> HeldRequest:
    session, csrf = login_form(url)
    cookies = "; ".join(f"{cookie.name}={cookie.value}" for cookie in session.cookies)
    body = urlencode({"email": email, "password": password, "csrf_token": csrf}).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookies}
    return HeldRequest(url, "/admin/login", body, headers)


def test_failed_logins_for_one_account_are_throttled_after_5_across_both_workers(server):
    held = held_login(server.url, OWNER, "wrong password")  # one worker waits on it
    answers = [failed_login(server.url, OWNER, "wrong password") for _ in range(5)]
    assert answers == [401] * 5  # all from the other worker
    assert held.finish() == 429  # the 6th failure, counted by the worker that waited
    assert [failed_login(server.url, OWNER, "wrong password") for _ in range(2)] == [429] * 2
    assert failed_login(server.url, OWNER, PASSWORD) == 429
    assert len(answering_pids(server, "POST /admin/login")) == 2


def answering_pids(server, request_line: str) -> set[str]:
    """The workers that answered these requests (the access log ends with the worker's pid)."""
    lines = [line for line in server.log_text().splitlines() if f'"{request_line} ' in line]
    return {line.rsplit(" ", 1)[1] for line in lines}


def test_a_chunked_body_over_64_kib_is_413_under_gunicorn(server):
    """gunicorn dechunks (wsgi.input_terminated): the body is measured, never cut at 64 KiB."""
    body = b"grant_type=client_credentials&padding=" + b"x" * 2_000_000
    auth = basic(server.app["client_id"], server.app["client_secret"])
    headers = {"Content-Type": "application/x-www-form-urlencoded", **auth}
    response, text = chunked_request(server.url, "POST", "/oauth2-token", body, headers)
    assert response.status == 413
    assert '"error":"invalid_request"' in text
    small, text = chunked_request(server.url, "POST", "/oauth2-token", body[:29], headers)
    assert small.status == 200, text
