"""The shipped gunicorn.conf.py, start-up without keys, and a short run of `make loadtest`."""

import pytest
import requests
from production_helpers import create_app_for, create_user, make_env, token

from scripts import loadtest
from scripts.cluster import app_env, flask_cli, wait_until

pytestmark = pytest.mark.slow


def test_plain_gunicorn_uses_the_shipped_settings(tmp_path, servers):
    env = make_env(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite'}")
    create_user(env, "owner@prod.example")
    app = create_app_for(env, "owner@prod.example")
    server = servers.start(env, tmp_path / "gunicorn.log", workers=3)

    assert len(server.worker_pids()) == 3
    assert requests.get(server.url + "/readyz", timeout=5).json()["status"] == "ok"
    answer = token(server.url, app["client_id"], app["client_secret"])
    assert answer.status_code == 200
    # A secret sent in the query string is refused, and its value never reaches the access log.
    leaked = requests.post(
        server.url + "/oauth2-token?client_secret=leaked-value-123&scope=x",
        data={"grant_type": "client_credentials"},
        timeout=5,
    )
    assert leaked.status_code == 400
    token_in_query = requests.get(
        server.url + "/admin/api/me?access_token=leaked-token-456", timeout=5
    )
    assert token_in_query.status_code == 400
    server.stop()
    log = server.log_text()
    assert '"POST /oauth2-token?client_secret=[redacted]&scope=[redacted] HTTP/1.1" 400' in log
    assert '"POST /oauth2-token HTTP/1.1" 200' in log
    assert '"GET /admin/api/me?access_token=[redacted] HTTP/1.1" 400' in log
    assert "leaked-value-123" not in log and "leaked-token-456" not in log


def test_workers_without_keys_answer_503_and_recover_when_keys_appear(tmp_path, servers):
    env = app_env(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite'}")
    flask_cli(env, "db", "upgrade")
    create_user(env, "owner@prod.example")
    app = create_app_for(env, "owner@prod.example")
    server = servers.start(env, tmp_path / "gunicorn.log", workers=2)

    ready = requests.get(server.url + "/readyz", timeout=5)
    assert ready.status_code == 503
    assert ready.json()["failing"] == ["signing_key"]
    refused = token(server.url, app["client_id"], app["client_secret"])
    assert refused.status_code == 503
    assert refused.json()["error"] == "temporarily_unavailable"
    assert not (tmp_path / "keys").exists()  # start-up never generates keys

    flask_cli(env, "oauth", "keys", "generate", "--if-missing")

    def every_worker_ready() -> bool:  # a run of answers, spread over both workers
        answers = [requests.get(server.url + "/readyz", timeout=5) for _ in range(6)]
        return all(answer.status_code == 200 for answer in answers)

    assert wait_until(every_worker_ready, timeout=10, interval=0.5)
    assert token(server.url, app["client_id"], app["client_secret"]).status_code == 200


def test_loadtest_smoke_run_passes_on_sqlite_and_postgresql(capsys):
    status = loadtest.main(["--duration", "4", "--connections", "8", "--workers", "2"])
    output = capsys.readouterr().out
    assert "== SQLite" in output and "== PostgreSQL + Redis" in output
    assert output.count("5xx answers: 0 {}") == 2
    assert "RSS per worker" in output
    assert status == 0, output
