"""The mail outbox, editable email templates and notification rules."""

from datetime import datetime

from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import utcnow

PENDING = "pending"
SENT = "sent"
FAILED = "failed"


class MailMessage(db.Model):
    """An email queued in the same transaction as the change it reports (an outbox)."""

    __tablename__ = "mail_messages"
    __table_args__ = (db.Index("ix_mail_messages_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event: Mapped[str] = mapped_column(db.String(64))
    recipients: Mapped[str] = mapped_column(db.Text)  # comma-separated addresses
    subject: Mapped[str] = mapped_column(db.String(998))
    body_text: Mapped[str] = mapped_column(db.Text)
    body_html: Mapped[str] = mapped_column(db.Text, default="")
    status: Mapped[str] = mapped_column(db.String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(db.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


class NotificationTemplate(db.Model):
    """An administrator's version of an email template for one event and locale."""

    __tablename__ = "notification_templates"
    __table_args__ = (db.UniqueConstraint("event", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event: Mapped[str] = mapped_column(db.String(64))
    locale: Mapped[str] = mapped_column(db.String(16))
    subject: Mapped[str] = mapped_column(db.String(998))
    body_text: Mapped[str] = mapped_column(db.Text)
    body_html: Mapped[str] = mapped_column(db.Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class NotificationRule(db.Model):
    """Who receives the email for an event; absent means the shipped default."""

    __tablename__ = "notification_rules"

    event: Mapped[str] = mapped_column(db.String(64), primary_key=True)
    is_enabled: Mapped[bool] = mapped_column(default=True)
    # Fixed addresses that receive the email besides the owner, comma-separated.
    extra_recipients: Mapped[str] = mapped_column(db.Text, default="")
    # Empty: the owner's preferred locale, falling back to English.
    locale: Mapped[str | None] = mapped_column(db.String(16))
