"""Bodies without a Content-Length (`Transfer-Encoding: chunked`) over MAX_CONTENT_LENGTH are
413 like any other, on a served app: never cut at the limit and read as if whole."""

import http.client
from urllib.parse import urlsplit

import pytest

FORM = "application/x-www-form-urlencoded"
GRANT = b"grant_type=client_credentials"


def chunked_request(url: str, method: str, path: str, body: bytes, headers: dict):
    """Send `body` in 8 KiB chunks (http.client writes Transfer-Encoding: chunked itself)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    chunks = (body[i : i + 8192] for i in range(0, len(body), 8192))
    connection.request(method, path, body=chunks, headers=headers, encode_chunked=True)
    response = connection.getresponse()
    text = response.read().decode()
    connection.close()
    return response, text


@pytest.fixture
def token_request(live_server, backend):
    def send(body: bytes):
        headers = {"Content-Type": FORM, **backend.basic}
        return chunked_request(live_server.url, "POST", "/oauth2-token", body, headers)

    return send


def test_a_small_chunked_token_request_is_served(token_request):
    response, text = token_request(GRANT)
    assert response.status == 200, text
    assert '"access_token"' in text


@pytest.mark.parametrize(
    "body",
    [
        GRANT + b"&padding=" + b"x" * 2_000_000,
        # Cut at 64 KiB, this would read as one good grant_type: the repeat must be seen.
        GRANT + b"&padding=" + b"x" * 70_000 + b"&" + GRANT,
        GRANT + b"&padding=" + b"x" * (64 * 1024 - len(GRANT) - 8),  # one byte over
    ],
    ids=["2 MB", "repeat after the limit", "one byte over"],
)
def test_a_chunked_token_request_over_64_kib_is_413(token_request, body):
    response, text = token_request(body)
    assert response.status == 413
    assert response.getheader("Content-Type") == "application/json"
    assert '"error":"invalid_request"' in text


def test_a_chunked_token_request_of_exactly_64_kib_is_read_whole(token_request):
    body = GRANT + b"&padding=" + b"x" * (64 * 1024 - len(GRANT) - 9)
    assert len(body) == 64 * 1024
    response, text = token_request(body)
    assert response.status == 200, text


def test_a_chunked_api_request_over_64_kib_is_413(live_server):
    body = b"access_token=" + b"x" * 2_000_000
    response, text = chunked_request(
        live_server.url, "GET", "/admin/api/me", body, {"Content-Type": FORM}
    )
    assert response.status == 413
    assert response.getheader("Content-Type") == "application/vnd.api+json"


def test_a_chunked_login_over_64_kib_is_413(live_server):
    body = b"email=a%40example.com&password=" + b"x" * 2_000_000
    response, text = chunked_request(
        live_server.url, "POST", "/admin/login", body, {"Content-Type": FORM}
    )
    assert response.status == 413
    assert "text/html" in response.getheader("Content-Type")
