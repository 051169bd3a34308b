"""Shared by the administration tests."""

from oauthsrv.extensions import db
from oauthsrv.models import AuditEvent
from oauthsrv.services import audit

HX = {"HX-Request": "true"}


def text_of(response) -> str:
    return response.get_data(as_text=True)


def token_request(client, client_id, secret, ip="203.0.113.7"):
    """POST /oauth2-token with client_secret_post, from `ip`; the response is closed (as a
    server would), which writes the audit's batch when it is due."""
    response = client.post(
        "/oauth2-token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
        environ_base={"REMOTE_ADDR": ip},
    )
    response.close()
    return response


def token_of(client, client_id, secret) -> str:
    response = token_request(client, client_id, secret)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["access_token"]


def api_me(client, token: str) -> int:
    """The status of GET /admin/api/me with this Bearer token (200 while it is current)."""
    return client.get("/admin/api/me", headers={"Authorization": f"Bearer {token}"}).status_code


def events(**filters) -> list[AuditEvent]:
    """Audit rows (this process's buffer written first), oldest first."""
    audit.flush()
    db.session.expire_all()
    query = db.session.query(AuditEvent).filter_by(**filters).order_by(AuditEvent.id)
    return list(query)


def kinds(**filters) -> list[str]:
    return [event.event for event in events(**filters)]
