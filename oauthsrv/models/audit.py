"""The API credentials audit: one row per event (token issued, authentication failed, ...)."""

from datetime import datetime

from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import utcnow


class AuditEvent(db.Model):
    """An event about API credentials or back-office access; never a secret, token or password.

    Names are kept as they were (application, owner, actor), so a row still reads right after
    the application is renamed or deleted. `organization_id` decides which administrators see it
    (services/access.py); None (an unknown client, an unknown email) only global ones.
    """

    __tablename__ = "audit_events"
    __table_args__ = (
        db.Index("ix_audit_events_event_occurred", "event", "occurred_at"),
        db.Index("ix_audit_events_application_occurred", "application_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    event: Mapped[str] = mapped_column(db.String(32))
    # "success", "failure" or "refused"; `reason` says why a failure failed (never to clients).
    outcome: Mapped[str] = mapped_column(db.String(16))
    reason: Mapped[str | None] = mapped_column(db.String(64))
    client_id: Mapped[str | None] = mapped_column(db.String(64), index=True)
    # No foreign key: the row outlives the application.
    application_id: Mapped[int | None]
    application_name: Mapped[str | None] = mapped_column(db.String(255))
    owner: Mapped[str | None] = mapped_column(db.String(255))
    organization_id: Mapped[int | None] = mapped_column(index=True)
    actor: Mapped[str | None] = mapped_column(db.String(255))
    ip: Mapped[str | None] = mapped_column(db.String(64))

    def __repr__(self) -> str:
        return f"<AuditEvent {self.event} {self.occurred_at:%Y-%m-%d %H:%M:%S}>"
