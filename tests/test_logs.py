"""Logs: query-string values never reach a request log (dev server, gunicorn: one rule in
oauthsrv.logs), logins and logouts are logged without the password, and no user value can
forge a log line."""

import io
import logging
import re
import subprocess
import sys

import pytest
import requests

from oauthsrv import logs
from scripts.cluster import ROOT, app_env, free_port, prepare_database, wait_until
from scripts.cluster import create_user as cluster_create_user
from tests.conftest import TEST_PASSWORD
from tests.production.production_helpers import PASSWORD, BackOfficeUser

FORGED = "2026-12-03 00:00:00,000 INFO oauthsrv.auth.views: login email='admin@x' outcome=success"


@pytest.mark.parametrize(
    ("query", "redacted"),
    [
        ("", ""),
        ("client_secret=s3cr3t", "?client_secret=[redacted]"),
        ("client_secret=s3cr3t&scope=a+b", "?client_secret=[redacted]&scope=[redacted]"),
        ("access_token=eyJ.x.y&access_token=2", "?access_token=[redacted]&access_token=[redacted]"),
        ("eyJhbGciOiJSUzI1NiJ9.e30.sig", "?[redacted]"),  # a bare value is all value
        ("a=1;client_secret=2", "?a=[redacted]&client_secret=[redacted]"),
        ("empty=&&x=%0Ay", "?empty=[redacted]&x=[redacted]"),
    ],
)
def test_query_values_are_redacted_names_kept(query, redacted):
    assert logs.redacted_query(query) == redacted


def test_a_request_line_in_any_log_text_is_redacted():
    line = '127.0.0.1 - - [x] "GET /admin/api/me?access_token=tok HTTP/1.1" 400 -'
    assert logs.redact_request_line(line) == (
        '127.0.0.1 - - [x] "GET /admin/api/me?access_token=[redacted] HTTP/1.1" 400 -'
    )
    assert logs.redact_request_line('"GET /admin/profile HTTP/1.1" 200') == (
        '"GET /admin/profile HTTP/1.1" 200'
    )


def format_with_safe_formatter(message: str, *args) -> str:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.SafeFormatter(logs.FORMAT))
    logger = logging.getLogger("oauthsrv.test_logs")
    logger.addHandler(handler)
    try:
        logger.warning(message, *args)
    finally:
        logger.removeHandler(handler)
    return stream.getvalue()


def test_a_value_with_cr_lf_cannot_start_a_record():
    text = format_with_safe_formatter("application %s created", f"Evil\r\n{FORGED}\x1b[2J")
    lines = text.splitlines()
    assert len([line for line in lines if not line.startswith(" ")]) == 1  # one record, one line
    assert not any(line.startswith(FORGED) for line in lines)
    assert "Evil\\r" in text and "\\x1b[2J" in text and "\r" not in text and "\x1b" not in text


def test_escape_keeps_a_value_on_one_line():
    assert logs.escape("a\r\nb\tc\u2028d\x00") == "a\\r\\nb\\tc\\u2028d\\x00"
    assert logs.escape("Größe ✓") == "Größe ✓"


# -- logins and logouts -------------------------------------------------------------------------


def auth_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "oauthsrv.auth.views"]


def test_logins_and_logouts_are_logged_without_the_password(app, client, auth, owner, caplog):
    caplog.set_level(logging.INFO)
    email = owner.email
    auth.login(email, "wrong-password-1")
    auth.login(email)
    auth.logout()
    assert auth_lines(caplog) == [
        f"login email='{email}' outcome=failed ip=127.0.0.1",
        f"login email='{email}' outcome=success ip=127.0.0.1",
        f"logout email='{email}' ip=127.0.0.1",
    ]
    assert "wrong-password-1" not in caplog.text and TEST_PASSWORD not in caplog.text


def test_a_throttled_login_is_logged(app, client, auth, owner, caplog):
    app.config["LOGIN_FAILURES_PER_ACCOUNT"] = 1
    caplog.set_level(logging.INFO)
    auth.login(owner.email, "wrong-password-1")
    assert auth.login(owner.email).status_code == 429
    assert auth_lines(caplog)[-1] == f"login email='{owner.email}' outcome=throttled ip=127.0.0.1"


def test_a_login_email_with_cr_lf_stays_on_its_line(client, caplog):
    caplog.set_level(logging.INFO)
    client.post("/admin/login", data={"email": f"x@y.example\r\n{FORGED}", "password": "p"})
    (line,) = auth_lines(caplog)
    assert "\n" not in line and "\\r\\n" in line


# -- the dev server (`make run`), a real process ------------------------------------------------


@pytest.fixture
def dev_server(tmp_path):
    """`flask --app wsgi run` on SQLite, as `make run` starts it; its stderr in a file."""
    env = app_env(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite'}")
    prepare_database(env)
    cluster_create_user(env, "owner@logs.example", PASSWORD)
    port = free_port()
    log_path = tmp_path / "dev-server.log"
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "run", "--port", str(port)]
    with open(log_path, "wb") as log_file:
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log_file, stderr=log_file)
    base = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        try:
            return requests.get(base + "/healthz", timeout=1).status_code == 200
        except requests.RequestException:
            return False

    try:
        assert wait_until(answers, 20), log_path.read_text()
        yield base, process, log_path
    finally:
        process.terminate()
        process.wait(10)


def test_dev_server_logs_redact_queries_and_cannot_be_forged(dev_server):
    base, process, log_path = dev_server
    grant = {"grant_type": "client_credentials"}
    leaked = requests.post(base + "/oauth2-token?client_secret=leaked-1&scope=x", data=grant)
    assert leaked.status_code == 400
    bearer_in_query = requests.get(base + "/admin/api/me?access_token=leaked-2")
    assert bearer_in_query.status_code == 400
    user = BackOfficeUser(base, "owner@logs.example").login()
    created = user.post("/admin/profile/applications/new", {"name": f"Evil\r\n{FORGED}"})
    assert created.status_code == 200  # the owner's mail goes to the log: no SMTP configured
    assert user.post("/admin/logout").status_code in (200, 302)
    process.terminate()
    process.wait(10)
    log = log_path.read_text()

    assert '"POST /oauth2-token?client_secret=[redacted]&scope=[redacted] HTTP/1.1" 400' in log
    assert '"GET /admin/api/me?access_token=[redacted] HTTP/1.1" 400' in log
    assert "leaked-1" not in log and "leaked-2" not in log
    assert "\x1b[" not in log  # the request lines come plain
    assert re.search(r"login email='owner@logs\.example' outcome=success ip=127\.0\.0\.1", log)
    assert "logout email='owner@logs.example' ip=127.0.0.1" in log
    assert PASSWORD not in log
    assert "no MAIL_SERVER configured" in log and "Evil\\r" in log
    assert not [line for line in log.splitlines() if line.startswith(FORGED)], log
