"""GET /healthz and GET /readyz: JSON, no-store, no session, failing checks named, no secrets."""

import shutil
import socket

import pytest
from sqlalchemy import event

from oauthsrv import create_app
from oauthsrv.extensions import db


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def assert_machine_answer(response):
    assert response.headers["Cache-Control"] == "no-store"
    assert response.content_type == "application/json"
    assert "Set-Cookie" not in response.headers


def test_healthz_answers_ok_without_touching_the_database(app, client):
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        response = client.get("/healthz")
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert_machine_answer(response)
    assert statements == []


def test_readyz_is_ready_with_database_and_key(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ok",
        "checks": {"database": "ok", "signing_key": "ok"},
    }
    assert_machine_answer(response)


def test_readyz_ignores_a_logged_in_session(client, auth, owner):
    auth.login(owner.email)
    response = client.get("/readyz")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers


def test_readyz_names_a_missing_key_and_recovers_when_it_reappears(client, key_paths, tmp_path):
    private_path, _ = key_paths
    shutil.move(private_path, tmp_path / "aside.key")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["failing"] == ["signing_key"]
    assert response.get_json()["checks"]["database"] == "ok"
    assert_machine_answer(response)
    shutil.move(tmp_path / "aside.key", private_path)
    assert client.get("/readyz").status_code == 200


def test_readyz_names_an_unreachable_database_without_its_address(app_config, caplog):
    port = closed_port()
    uri = f"postgresql+psycopg://oauthsrv:pw-s3cret@127.0.0.1:{port}/oauthsrv?connect_timeout=2"
    down = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": uri})
    response = down.test_client().get("/readyz")
    assert response.status_code == 503
    body = response.get_data(as_text=True)
    assert response.get_json()["failing"] == ["database"]
    for secret in ("pw-s3cret", str(port), "127.0.0.1", "oauthsrv:", "psycopg"):
        assert secret not in body
    assert "pw-s3cret" not in caplog.text
    with down.app_context():
        db.engine.dispose()


@pytest.mark.parametrize(
    "storage, expected",
    [
        ("redis://127.0.0.1:6379/9", 200),
        (f"redis://:r3dis-pw@127.0.0.1:{closed_port()}/9", 503),
    ],
    ids=["redis-up", "redis-down"],
)
def test_readyz_checks_redis_when_configured(app_config, storage, expected):
    app = create_app({**app_config, "RATELIMIT_STORAGE_URI": storage})
    response = app.test_client().get("/readyz")
    assert response.status_code == expected
    body = response.get_json()
    assert "redis" in body["checks"]
    if expected == 503:
        assert body["failing"] == ["redis"]
        assert "r3dis-pw" not in response.get_data(as_text=True)
    with app.app_context():
        db.engine.dispose()


def test_probes_are_served_by_the_machine_app(app, client, auth, owner):
    from oauthsrv import machine_app_of

    machine_rules = {rule.rule for rule in machine_app_of(app).url_map.iter_rules()}
    backoffice_rules = {rule.rule for rule in app.url_map.iter_rules()}
    assert {"/healthz", "/readyz"} <= machine_rules
    assert not {"/healthz", "/readyz"} & backoffice_rules
    auth.login(owner.email)  # a back-office session cookie sent along is ignored
    response = client.post("/readyz")
    assert response.status_code == 405
    assert response.content_type == "application/json"
    assert "Set-Cookie" not in response.headers
