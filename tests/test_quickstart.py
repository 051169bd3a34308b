"""The README's first Quick-start command on a clean clone: `make run` serves, demo logins work."""

import os
import queue
import re
import signal
import subprocess
import threading
import time

import pytest
import requests
from smtp_sink import free_port

from oauthsrv.config import PROJECT_ROOT

STARTUP_SECONDS = 420


def read_until_serving(process, deadline) -> str:
    """Collect `make run` output until it serves (a thread reads, so no line waits in a buffer)."""
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(
        target=lambda: [lines.put(line) for line in process.stdout], daemon=True
    ).start()
    output = ""
    while time.monotonic() < deadline and process.poll() is None:
        try:
            line = lines.get(timeout=1)
        except queue.Empty:
            continue
        output += line
        if "Running on http://" in line:
            return output
    raise AssertionError(f"make run did not start serving:\n{output[-3000:]}")


@pytest.fixture
def clean_clone(tmp_path):
    if not (PROJECT_ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    if os.environ.get("OAUTHSRV_TEST_DATABASE_URI"):
        # `make run` always uses the embedded SQLite default: one run (the SQLite pass) is enough.
        pytest.skip("make run does not depend on the database under test")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(PROJECT_ROOT), str(clone)], check=True)
    return clone


def test_make_run_on_a_clean_clone_serves_and_demo_logins_work(clean_clone):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OAUTHSRV_")}
    env["PORT"] = str(port)
    process = subprocess.Popen(
        ["make", "run"],
        cwd=clean_clone,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output = read_until_serving(process, time.monotonic() + STARTUP_SECONDS)
        logins = re.findall(r"^Demo login: (\S+) / (\S+)$", output, re.MULTILINE)
        assert len(logins) >= 2
        assert (clean_clone / "var" / "oauth_private.key").exists()
        for email, password in logins:
            assert_can_log_in(f"http://127.0.0.1:{port}", email, password)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        process.stdout.close()


def assert_can_log_in(base_url: str, email: str, password: str) -> None:
    session = requests.Session()
    login_page = session.get(f"{base_url}/admin/login", timeout=10)
    assert login_page.status_code == 200
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page.text)[1]
    response = session.post(
        f"{base_url}/admin/login",
        data={"email": email, "password": password, "csrf_token": token},
        timeout=10,
    )
    assert response.status_code == 200 and response.url.endswith("/admin/profile")
    assert email in response.text
