"""What the audit records, and that recording stays off the token request: the rows are written
after the response, in batches; never a secret, token or password in them."""

from datetime import timedelta

import pytest
from admin_helpers import events, kinds, token_of, token_request

from oauthsrv.extensions import db
from oauthsrv.models import AuditEvent
from oauthsrv.services import accounts, applications, audit


def test_token_endpoint_outcomes_are_recorded_with_their_internal_reason(
    client, backend, owner, app
):
    assert token_request(client, backend.client_id, backend.secret).status_code == 200
    assert token_request(client, backend.client_id, "not-the-secret").status_code == 401
    assert token_request(client, "no-such-client", "whatever").status_code == 401
    applications.set_application_active(backend.application, False, actor="test")
    assert token_request(client, backend.client_id, backend.secret).status_code == 401
    rows = events(ip="203.0.113.7")
    assert [(row.event, row.outcome, row.reason) for row in rows] == [
        ("token_issued", "success", None),
        ("client_auth_failed", "failure", "wrong_secret"),
        ("client_auth_failed", "failure", "unknown_client"),
        ("client_auth_failed", "failure", "inactive"),
    ]
    issued = rows[0]
    assert (issued.client_id, issued.application_id, issued.organization_id) == (
        backend.client_id,
        backend.id,
        backend.application.organization_id,
    )
    # Names are filled in when the batch is written, not on the token request.
    assert (issued.application_name, issued.owner) == ("Backend integration", owner.email)
    assert (rows[2].client_id, rows[2].application_id, rows[2].organization_id) == (
        "no-such-client",
        None,
        None,
    )


def test_the_client_is_never_told_the_reason(client, backend):
    wrong = token_request(client, backend.client_id, "not-the-secret")
    unknown = token_request(client, "no-such-client", "whatever")
    assert wrong.get_data() == unknown.get_data()
    assert b"wrong" not in wrong.get_data() and b"unknown" not in unknown.get_data()


def test_throttling_is_recorded(client, backend, app):
    app.config["OAUTH_CLIENT_FAILURES_PER_CLIENT_IP"] = 2
    for _ in range(2):
        token_request(client, backend.client_id, "bad", ip="198.51.100.9")
    response = token_request(client, backend.client_id, backend.secret, ip="198.51.100.9")
    assert response.status_code == 429
    [throttled] = events(event="throttled")
    assert (throttled.outcome, throttled.client_id, throttled.ip) == (
        "refused",
        backend.client_id,
        "198.51.100.9",
    )


def test_application_lifecycle_is_recorded_with_its_actor(owner, make_application):
    application, _ = make_application(owner, "Lifecycle")
    applications.update_application(
        application, actor="Ada <ada@example.com>", name="Renamed", is_active=True, scopes=None
    )
    applications.set_application_active(application, False, actor="Ada <ada@example.com>")
    applications.set_application_active(application, True, actor="Ada <ada@example.com>")
    applications.regenerate_secret(application, actor="Ada <ada@example.com>")
    applications.delete_application(application, actor="Ada <ada@example.com>")
    rows = events(client_id=application.client_id)
    assert [row.event for row in rows] == [
        "application_created",
        "application_edited",
        "application_deactivated",
        "application_activated",
        "secret_regenerated",
        "application_deleted",
    ]
    assert rows[0].actor == "test" and {row.actor for row in rows[1:]} == {"Ada <ada@example.com>"}
    # The deleted application's row still names it.
    assert (rows[-1].application_name, rows[-1].owner) == ("Renamed", owner.email)


def test_revocation_is_recorded(client, backend):
    token = token_of(client, backend.client_id, backend.secret)
    response = client.post(
        "/oauth2-token/revoke", data={"token": token, **backend.body}, environ_base={}
    )
    response.close()
    assert response.status_code == 200
    [revoked] = events(event="token_revoked")
    assert (revoked.client_id, revoked.application_id) == (backend.client_id, backend.id)


def test_logins_are_recorded_without_the_password(client, auth, owner):
    auth.login(owner.email, "wrong-password-123")
    auth.login("nobody@example.com", "another-password-456")
    auth.login(owner.email)
    rows = events(ip="127.0.0.1")
    assert [(row.event, row.actor) for row in rows] == [
        ("login_failed", owner.email),
        ("login_failed", "nobody@example.com"),
        ("login_succeeded", f"{owner.name} <{owner.email}>"),
    ]
    assert rows[0].organization_id == owner.organizations[0].id
    assert rows[1].organization_id is None


def test_user_and_organization_deactivation_are_recorded(owner, make_org):
    accounts.set_user_active(owner, False)
    accounts.set_organization_active(make_org("Acme"), False)
    assert kinds() == ["user_deactivated", "organization_deactivated"]
    assert events()[0].owner == owner.email and events()[0].actor == "command line"


def test_no_secret_token_or_password_is_ever_stored(client, auth, owner, make_application):
    application, secret = make_application(owner, "Secretive")
    token = token_of(client, application.client_id, secret)
    token_request(client, application.client_id, secret + "x")
    auth.login(owner.email, "my-wrong-password")
    new_secret = applications.regenerate_secret(application, actor="test")
    stored = " ".join(
        str(value)
        for row in db.session.execute(db.select(AuditEvent.__table__)).all()
        for value in row
    )
    assert len(events()) >= 4
    for needle in (secret, new_secret, token, "my-wrong-password", secret + "x"):
        assert needle not in stored


# ---- off the hot path ----


@pytest.fixture
def app_config(app_config):
    return {**app_config, "AUDIT_BATCH_SIZE": 3, "AUDIT_FLUSH_SECONDS": 3600}


def stored_count() -> int:
    """Rows written for token requests (the fixtures' own rows are written at once: no request)."""
    db.session.expire_all()
    return db.session.query(AuditEvent).filter_by(event="token_issued").count()


def test_events_are_written_after_the_response_in_batches(client, backend, app):
    buffer = app.extensions["audit"]
    token_request(client, backend.client_id, backend.secret)
    token_request(client, backend.client_id, backend.secret)
    assert stored_count() == 0 and len(buffer.rows) == 2  # below the batch size: buffered
    response = client.post(
        "/oauth2-token",
        data={"grant_type": "client_credentials", **backend.body},
    )
    assert response.status_code == 200
    assert stored_count() == 0  # the response is answered; nothing written yet
    response.close()  # what the WSGI server does once the body has gone out
    assert stored_count() == 3 and buffer.rows == []


def test_a_quiet_process_writes_its_leftovers_on_a_timer(client, backend, app):
    app.config["AUDIT_FLUSH_SECONDS"] = 0.2
    token_request(client, backend.client_id, backend.secret)
    buffer = app.extensions["audit"]
    buffer.timer.join(timeout=5)
    assert stored_count() == 1


def test_the_machine_app_shares_the_back_office_buffer(app):
    from oauthsrv import machine_app_of

    assert machine_app_of(app).extensions["audit"] is app.extensions["audit"]


def test_a_failed_write_is_logged_and_never_breaks_a_request(client, backend, app, caplog):
    buffer = app.extensions["audit"]
    buffer.add({"event": None})  # not a valid row: the INSERT fails
    assert buffer.flush() == 0
    assert "could not be written" in caplog.text
    assert token_request(client, backend.client_id, backend.secret).status_code == 200


def test_hourly_counts_bucket_by_utc_hour(app):
    now = audit.hour_of(audit.utcnow()) + timedelta(minutes=30)
    for minutes, event in [(0, "token_issued"), (5, "token_issued"), (-60, "client_auth_failed")]:
        audit.record(event, occurred_at=now + timedelta(minutes=minutes))
    audit.record("token_issued", occurred_at=now - timedelta(days=8))  # outside the 7 days
    counts = audit.hourly_counts([], now)
    hour = audit.hour_of(now)
    assert counts["token_issued"] == {hour: 2}
    assert counts["client_auth_failed"] == {hour - timedelta(hours=1): 1}
