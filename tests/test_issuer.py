"""Issuer pinning: the issuer is OAUTH_ISSUER, never the Host header; a server does not start
without it outside debug mode, and CLI commands run without it."""

import os
import subprocess
import sys

import jwt
import pytest

from oauthsrv import create_app
from oauthsrv.config import DEV_ISSUER, PROJECT_ROOT
from oauthsrv.extensions import db
from tests.conftest import ISSUER

EVIL = {"Host": "evil.example"}


def test_a_host_header_never_reaches_the_metadata_or_tokens(client, backend):
    metadata = client.get("/.well-known/oauth-authorization-server", headers=EVIL)
    assert metadata.get_json()["issuer"] == ISSUER
    assert "evil.example" not in metadata.get_data(as_text=True)
    issued = client.post(
        "/oauth2-token",
        data={"grant_type": "client_credentials", **backend.body},
        base_url="https://evil.example",  # over HTTP, Authlib refuses any host but localhost
    )
    assert issued.status_code == 200, issued.get_json()
    claims = jwt.decode(issued.get_json()["access_token"], options={"verify_signature": False})
    assert claims["iss"] == ISSUER and claims["aud"] == ISSUER + "/admin/api"


def test_a_token_is_valid_whatever_host_it_is_presented_under(client, backend):
    token = client.post(
        "/oauth2-token", data={"grant_type": "client_credentials", **backend.body}
    ).get_json()["access_token"]
    headers = {"Authorization": f"Bearer {token}", **EVIL}
    assert client.get("/admin/api/me", headers=headers).status_code == 200


def test_a_server_without_an_issuer_refuses_to_start(app_config, monkeypatch):
    monkeypatch.delenv("OAUTHSRV_OAUTH_ISSUER", raising=False)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    with pytest.raises(SystemExit, match="OAUTH_ISSUER is not set: refusing to serve"):
        create_app({**app_config, "OAUTH_ISSUER": ""})


def test_a_debug_server_without_an_issuer_uses_the_dev_address(app_config, monkeypatch):
    monkeypatch.setenv("FLASK_DEBUG", "1")
    app = create_app({**app_config, "OAUTH_ISSUER": ""})
    metadata = app.test_client().get("/.well-known/oauth-authorization-server", headers=EVIL)
    assert metadata.get_json()["issuer"] == DEV_ISSUER
    with app.app_context():
        db.engine.dispose()


def unconfigured_env(tmp_path, database_uri) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OAUTHSRV_", "FLASK_"))}
    env.update(
        OAUTHSRV_SQLALCHEMY_DATABASE_URI=database_uri,
        OAUTHSRV_SECRET_KEY="x",
        OAUTHSRV_OAUTH_PRIVATE_KEY_PATH=str(tmp_path / "private.key"),
        OAUTHSRV_OAUTH_PUBLIC_KEY_PATH=str(tmp_path / "public.key"),
        OAUTHSRV_BIND="127.0.0.1:0",
        OAUTHSRV_WORKERS="1",
    )
    return env


def run(command: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        command, env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    "server",
    [
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
        [sys.executable, "-m", "flask", "--app", "wsgi", "run", "--port", "0"],
    ],
    ids=["gunicorn", "flask run"],
)
def test_servers_without_an_issuer_exit_with_one_line_naming_it(tmp_path, database_uri, server):
    result = run(server, unconfigured_env(tmp_path, database_uri))
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if "OAUTH_ISSUER" in line]
    assert len(lines) == 1 and "refusing to serve" in lines[0]
    assert "Traceback" not in result.stderr


def test_cli_commands_run_without_an_issuer(tmp_path, database_uri):
    env = unconfigured_env(tmp_path, database_uri)
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    generated = run([*flask, "oauth", "keys", "generate"], env)
    assert generated.returncode == 0, generated.stderr
    assert (tmp_path / "private.key").exists()
    assert run([*flask, "routes"], env).returncode == 0
