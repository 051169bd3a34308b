"""Every route of both apps, fed what an attacker or a broken client sends: never a 5xx, and on
the machine paths always JSON. Runs on SQLite and PostgreSQL (OAUTHSRV_TEST_DATABASE_URI).

The routes come from the two URL maps, so a new route is fuzzed without touching this file.
"""

import json
import re

import pytest
from credentials import basic, credentials
from werkzeug.datastructures import MultiDict

from oauthsrv import machine_app_of
from oauthsrv.dispatch import is_machine_path

HUGE_ID = "99999999999999999999"
# The table of the hardening issue, and a few more of the same kind.
BAD_VALUES = ("²", HUGE_ID, "a\x00b", "/\r\nX:1", "/\t/evil.example", "-1", "x" * 5000)
# Names the views and the token endpoints read, so that a bad value reaches them.
PARAMETERS = (
    "page", "organization", "name", "q", "status", "sort", "direction", "next", "email",
    "password", "organization_id", "scopes", "is_active", "scopes_offered", "locale", "subject",
    "body_text", "body_html", "enabled", "recipients", "grant_type", "client_id",
    "client_secret", "scope", "token", "token_type_hint", "page[size]", "page[number]",
    "filter[email]", "access_token",
)  # fmt: skip
INVALID_UTF8 = b"\xff\xfe\xc0\x80\xed\xa0\x80"
MACHINE_JSON = re.compile(r"^application/([a-z.+-]+\+)?json$")


@pytest.fixture
def app_config(app_config):
    # A 500 must come back as a response (as in production), not be raised into the test.
    return {**app_config, "PROPAGATE_EXCEPTIONS": False}


@pytest.fixture
def targets(app, make_user, make_application, customer, client):
    """Every (method, path) of both URL maps, with real ids where the rule takes one, and a
    logged-in administrator's client with a token and client credentials."""
    admin = make_user(email="root@example.com", is_admin=True, name="Root Admin")
    application, secret = make_application(admin, name="Fuzzed")
    creds = credentials(application, secret)
    token = client.post(
        "/oauth2-token", data={"grant_type": "client_credentials"}, headers=creds.basic
    ).get_json()["access_token"]
    client.post("/admin/login", data={"email": admin.email, "password": "correct-horse-battery"})
    ids = {"user_id": admin.id, "customer_id": customer.id, "customer_user_id": customer.id}
    ids |= {"app_id": application.id, "event_key": "application_created", "locale": "en"}
    return {
        "routes": list(routes(app, ids)),
        "headers": {"Authorization": f"Bearer {token}", **creds.basic},
        "creds": creds,
        "token": token,
    }


def routes(app, ids):
    for flask_app in (app, machine_app_of(app)):
        for rule in flask_app.url_map.iter_rules():
            if rule.endpoint in ("static", "auth.logout"):  # logout would end the run's session
                continue
            path = rule.rule
            for argument in rule.arguments - set(rule.defaults or {}):
                path = re.sub(rf"<(\w+:)?{argument}>", str(ids.get(argument, "x")), path)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield method, path


def fuzz(client, targets, requests) -> list[str]:
    """Send every request built by `requests(method, path)` to every route; list what broke."""
    broken = []
    for method, path in targets["routes"]:
        for label, kwargs in requests(method, path):
            response = client.open(method=method, **{"path": path, **kwargs})
            response.get_data()  # a streamed answer (the CSV export) runs to its end
            response.close()
            problem = judge(response, kwargs.get("path", path))
            if problem:
                broken.append(f"{method} {kwargs.get('path', path)} [{label}]: {problem}")
    return broken


def judge(response, path: str) -> str | None:
    if response.status_code >= 500:
        return f"{response.status_code}"
    if is_machine_path(path.split("?")[0]) and not MACHINE_JSON.match(response.mimetype or ""):
        return f"{response.status_code} {response.mimetype} on a machine path"
    return None


def every(value) -> dict:
    return {name: value for name in PARAMETERS}


def test_the_table_values_in_query_and_form(client, targets):
    def requests(method, path):
        for value in BAD_VALUES:
            where = "data" if method == "POST" else "query_string"
            yield f"{where} {value[:12]!r}", {where: every(value)}

    assert fuzz(client, targets, requests) == []


def test_huge_ids_and_bad_bytes_in_the_path(client, targets):
    def requests(method, path):
        yield "huge id", {"path": re.sub(r"/\d+(?=/|$)", f"/{HUGE_ID}", path)}
        yield "invalid UTF-8 segment", {"path": path + "/%FF%FE"}
        yield "NUL segment", {"path": path.rstrip("/") + "/%00"}
        if re.search(r"/(application_created|en)(?=/|$)", path):
            yield "invalid UTF-8 argument", {"path": path.replace("/en", "/%FF")}

    assert fuzz(client, targets, requests) == []


def test_invalid_utf8_in_query_and_form(client, targets):
    raw = "&".join(f"{name}=%FF%FE%C0%80" for name in PARAMETERS).encode()

    def requests(method, path):
        yield "query escapes", {"query_string": raw.decode()}
        yield (
            "query bytes",
            {
                "query_string": (b"name=" + INVALID_UTF8 + b"&page=" + INVALID_UTF8).decode(
                    "latin-1"
                )
            },
        )
        if method == "POST":
            form = "application/x-www-form-urlencoded"
            yield "form escapes", {"data": raw, "content_type": form}
            yield "form bytes", {"data": b"name=" + INVALID_UTF8, "content_type": form}
            latin = form + "; charset=ISO-8859-1"
            yield "form latin-1", {"data": raw, "content_type": latin}

    assert fuzz(client, targets, requests) == []


def test_huge_and_repeated_headers(client, targets):
    big = "x" * 60_000
    auth = targets["headers"]

    def requests(method, path):
        yield (
            "huge headers",
            {"headers": {"User-Agent": big, "X-Forwarded-For": big, "HX-Request": big}},
        )
        yield "huge bearer", {"headers": {"Authorization": "Bearer " + big}}
        yield "huge basic", {"headers": basic(big, big)}
        yield "huge host", {"headers": {"Host": "a" * 300}}
        yield "bad host", {"headers": {"Host": "exa mple.com:99999999999"}}
        repeated = [("Authorization", auth["Authorization"])] * 2 + [("HX-Request", "true")] * 50
        yield "repeated headers", {"headers": repeated}
        mixed = [("Authorization", auth["Authorization"]), ("Authorization", "Basic !!!")]
        yield "Bearer and Basic", {"headers": mixed}

    assert fuzz(client, targets, requests) == []


def test_huge_and_repeated_parameters(client, targets):
    repeated = MultiDict([(name, str(n)) for name in PARAMETERS for n in range(20)])
    many = MultiDict([(f"p{n}", "1") for n in range(1000)])

    def requests(method, path):
        yield "repeated query", {"query_string": repeated}
        yield "many query parameters", {"query_string": many}
        yield "huge query", {"query_string": {"name": "x" * 60_000}}
        if method == "POST":
            yield "repeated form", {"data": repeated}
            yield "body over the limit", {"data": {"name": "x" * 70_000}}

    assert fuzz(client, targets, requests) == []


def test_nested_and_wrongly_typed_json(client, targets):
    bodies = {
        "deep nesting": "[" * 20_000 + "]" * 20_000,
        "wrong types": json.dumps({name: {"a": [1, None]} for name in PARAMETERS}),
        "numbers": json.dumps({name: 1e308 for name in PARAMETERS}),
        "top-level list": "[]",
        "null": "null",
        "broken": '{"name": ',
        "invalid UTF-8": INVALID_UTF8.decode("latin-1"),
    }

    def requests(method, path):
        if method != "POST" and not is_machine_path(path):
            return
        for label, body in bodies.items():
            kwargs = {"data": body.encode("latin-1"), "content_type": "application/json"}
            yield label, kwargs | {"headers": targets["headers"]} if "api" in path else kwargs

    assert fuzz(client, targets, requests) == []


def test_every_machine_route_with_good_credentials_and_bad_values(client, targets):
    """Past authentication: the values reach the views, not only the credential checks."""
    bearer = {"Authorization": targets["headers"]["Authorization"]}

    def requests(method, path):
        if not is_machine_path(path):
            return
        headers = bearer if "api" in path else targets["creds"].basic
        for value in BAD_VALUES:
            yield (
                f"authenticated {value[:12]!r}",
                {
                    "headers": headers,
                    "query_string": every(value) if method == "GET" else None,
                    "data": {**every(value), "client_id": targets["creds"].client_id}
                    if method == "POST"
                    else None,
                },
            )

    assert fuzz(client, targets, requests) == []
