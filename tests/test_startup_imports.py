"""Starting the app or the CLI imports only what it needs (docs/cli-startup.md).

Each case runs in a fresh interpreter, since this test process has long imported everything.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Imported where they are used, never at start: Alembic through Flask-Migrate (the `db` commands),
# email-validator (an address to check), cryptography and PyJWT (a key or a token to handle),
# Authlib's JOSE (client assertions).
LAZY = ("alembic", "flask_migrate", "email_validator", "jwt", "cryptography", "authlib.jose")
# A server start reads the signing keys, to say first thing when they are unusable.
LAZY_FOR_A_SERVER = ("alembic", "flask_migrate", "email_validator", "authlib.jose")

LOADED = """
import json, sys
loaded = {{name.split(".")[0] for name in sys.modules}} | set(sys.modules)
print(json.dumps(sorted(set({lazy!r}) & loaded)))
"""
FLASK_COMMAND = """
import sys
from flask.cli import main
sys.argv = ["flask", "--app", "wsgi", *{args!r}]
try:
    main()
except SystemExit as exit:
    assert not exit.code, exit.code
"""
SERVER_START = """
from oauthsrv import create_app
create_app()
"""


def loaded_after(code: str, lazy: tuple[str, ...], tmp_path) -> list[str]:
    env = {
        "PATH": "/usr/bin:/bin",
        "OAUTHSRV_SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'app.db'}",
        "OAUTHSRV_OAUTH_PRIVATE_KEY_PATH": str(tmp_path / "private.key"),
        "OAUTHSRV_OAUTH_PUBLIC_KEY_PATH": str(tmp_path / "public.key"),
        "OAUTHSRV_OAUTH_ISSUER": "http://localhost",  # a server does not start without one
    }
    run = subprocess.run(
        [sys.executable, "-c", code + LOADED.format(lazy=lazy)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "args",
    [["--help"], ["oauth", "--help"], ["oauth", "apps", "--help"], ["users", "--help"]],
    ids=" ".join,
)
def test_the_cli_starts_without_the_heavy_modules(args, tmp_path):
    assert loaded_after(FLASK_COMMAND.format(args=args), LAZY, tmp_path) == []


def test_a_server_start_imports_only_what_serving_needs(tmp_path):
    assert loaded_after(SERVER_START, LAZY_FOR_A_SERVER, tmp_path) == []


def test_the_db_commands_still_bring_alembic(tmp_path):
    code = FLASK_COMMAND.format(args=["db", "current"])
    assert loaded_after(code, ("alembic", "flask_migrate"), tmp_path) == [
        "alembic",
        "flask_migrate",
    ]
