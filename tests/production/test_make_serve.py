"""`make serve` on a clean clone: migrates, writes keys, seeds nothing, serves under gunicorn."""

import os
import signal
import sqlite3
import subprocess

import pytest
import requests

from oauthsrv.config import PROJECT_ROOT
from scripts.cluster import free_port, wait_until

pytestmark = pytest.mark.slow


@pytest.fixture
def clean_clone(tmp_path):
    if not (PROJECT_ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(PROJECT_ROOT), str(clone)], check=True)
    # The venv step is `make run`'s (tests/test_quickstart.py): reuse the installed one here.
    (clone / ".venv").symlink_to(os.path.realpath(PROJECT_ROOT / ".venv"))
    for name in ("requirements.txt", "requirements-dev.txt"):
        os.utime(clone / name, (0, 0))
    return clone


def test_make_serve_sets_up_and_serves_with_gunicorn(clean_clone, tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OAUTHSRV_")}
    env.update({"OAUTHSRV_BIND": f"127.0.0.1:{port}", "OAUTHSRV_WORKERS": "2"})
    log = open(tmp_path / "serve.log", "wb")  # noqa: SIM115
    process = subprocess.Popen(
        ["make", "serve"], cwd=clean_clone, env=env, stdout=log, stderr=log, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        try:
            return requests.get(url + "/readyz", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    try:
        assert wait_until(ready, 90, 0.5), (tmp_path / "serve.log").read_text()[-3000:]
        metadata = requests.get(url + "/.well-known/oauth-authorization-server", timeout=5)
        assert metadata.json()["issuer"] == f"http://127.0.0.1:{port}"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)
        log.close()
    output = (tmp_path / "serve.log").read_text()
    assert "Starting gunicorn" in output and "Booting worker" in output
    assert (clean_clone / "var" / "oauth_private.key").exists()
    with sqlite3.connect(clean_clone / "instance" / "oauthsrv.db") as connection:
        assert connection.execute("SELECT count(*) FROM users").fetchone() == (0,)
        assert connection.execute("SELECT count(*) FROM organizations").fetchone() == (0,)
