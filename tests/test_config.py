"""Configuration layering: defaults < instance/config.yml < OAUTHSRV_* < test mapping."""

import os
import stat

import pytest

from oauthsrv import config as config_module
from oauthsrv import create_app
from oauthsrv.config import PROJECT_ROOT
from tests.conftest import ISSUER


@pytest.fixture
def instance_dir(tmp_path, monkeypatch):
    """Point the app at a scratch instance folder so the real one is never touched."""
    monkeypatch.setattr(config_module, "INSTANCE_PATH", tmp_path)
    import oauthsrv

    monkeypatch.setattr(oauthsrv, "INSTANCE_PATH", tmp_path)
    for key in [k for k in os.environ if k.startswith("OAUTHSRV_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("OAUTHSRV_OAUTH_ISSUER", ISSUER)  # a server does not start without one
    return tmp_path


def test_defaults_apply_without_any_file(instance_dir):
    app = create_app({"SECRET_KEY": "x"})
    assert app.config["MAIL_DEFAULT_SENDER"] == "oauthsrv@localhost"
    assert app.config["OAUTH_ACCESS_TOKEN_TTL"] == 3600
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")


def test_yaml_overrides_defaults_and_env_overrides_yaml(instance_dir, monkeypatch):
    (instance_dir / "config.yml").write_text("MAIL_PORT: 1025\nMAIL_SERVER: yaml.example\n")
    monkeypatch.setenv("OAUTHSRV_MAIL_PORT", "2525")
    app = create_app({"SECRET_KEY": "x"})
    assert app.config["MAIL_SERVER"] == "yaml.example"
    assert app.config["MAIL_PORT"] == 2525  # parsed as a number, from the environment


def test_test_mapping_overrides_everything(instance_dir, monkeypatch):
    (instance_dir / "config.yml").write_text("MAIL_PORT: 1025\n")
    monkeypatch.setenv("OAUTHSRV_MAIL_PORT", "2525")
    app = create_app({"SECRET_KEY": "x", "MAIL_PORT": 3535})
    assert app.config["MAIL_PORT"] == 3535


def test_relative_paths_resolve_against_the_project_root(instance_dir, monkeypatch, tmp_path):
    (instance_dir / "config.yml").write_text(
        "OAUTH_PRIVATE_KEY_PATH: keys/private.pem\nSQLALCHEMY_DATABASE_URI: sqlite:///data/x.db\n"
    )
    monkeypatch.chdir(tmp_path)
    app = create_app({"SECRET_KEY": "x"})
    assert app.config["OAUTH_PRIVATE_KEY_PATH"] == str(PROJECT_ROOT / "keys/private.pem")
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{PROJECT_ROOT / 'data/x.db'}"


def test_secret_key_is_generated_once_with_mode_0600(instance_dir):
    first = create_app().config["SECRET_KEY"]
    second = create_app().config["SECRET_KEY"]
    key_file = instance_dir / "secret_key"
    assert first == second == key_file.read_text()
    assert len(first) >= 32
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_a_yaml_file_that_is_not_a_mapping_is_refused(instance_dir):
    (instance_dir / "config.yml").write_text("- just\n- a list\n")
    with pytest.raises(RuntimeError, match="must hold a mapping"):
        create_app({"SECRET_KEY": "x"})


def test_shipped_config_yml_is_valid_and_holds_no_secret():
    data = config_module.read_yaml(PROJECT_ROOT / "instance" / "config.yml")
    assert "SECRET_KEY" not in data and "MAIL_PASSWORD" not in data
