"""Shared by the administration tests."""

from oauthsrv.extensions import db
from oauthsrv.services import audit

HX = {"HX-Request": "true"}


def text_of(response) -> str:
    return response.get_data(as_text=True)


def token_request(client, client_id, secret, ip="203.0.113.7"):
    """POST /oauth2-token with client_secret_post, from `ip`; the response is closed (as a
    server would), which writes the audit's batch."""
    response = client.post(
        "/oauth2-token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
        environ_base={"REMOTE_ADDR": ip},
    )
    response.close()
    return response


def events(**filters):
    """Audit rows (flushed first), oldest first."""
    from oauthsrv.models import AuditEvent

    audit.flush()
    db.session.expire_all()
    query = db.session.query(AuditEvent).filter_by(**filters).order_by(AuditEvent.id)
    return list(query)
