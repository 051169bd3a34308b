"""The mail outbox: rows queued in the caller's transaction, delivered after it commits.

Every sender (the after-commit hook, the retry on later requests, `notifications send-pending`,
the administrator's button) claims a message with a conditional UPDATE before sending it, so two
senders never send the same message. A claim is a lease: a sender that dies mid-send leaves the
message `sending` until the lease expires, then any sender takes it over.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import event, or_, select, update
from sqlalchemy.orm import Session

from ..extensions import db
from ..models import MailMessage
from ..models.base import utcnow
from ..models.notifications import FAILED, PENDING, SENT
from .rendering import RenderedEmail
from .transport import MESSAGE_ERRORS, open_transport

log = logging.getLogger(__name__)

SENDING = "sending"
QUEUED_KEY = "oauthsrv.outbox.flushed_ids"
MAX_ERROR_LENGTH = 2000


@dataclass
class Report:
    sent: int = 0
    failed: int = 0


def queue(event_key: str, recipients: list[str], email: RenderedEmail) -> MailMessage:
    """Add a message to the session; it commits (or rolls back) with the caller's change."""
    message = MailMessage(
        event=event_key,
        recipients=",".join(recipients),
        subject=email.subject,
        body_text=email.body_text,
        body_html=email.body_html,
        status=PENDING,
    )
    db.session.add(message)
    return message


@event.listens_for(db.session, "after_flush")
def _remember_flushed(session, flush_context) -> None:
    """Note the ids of new outbox rows: after the commit they are sent."""
    ids = [obj.id for obj in session.new if isinstance(obj, MailMessage)]
    if ids:
        session.info.setdefault(QUEUED_KEY, []).extend(ids)


@event.listens_for(db.session, "after_commit")
def _deliver_committed(session) -> None:
    """Send what this commit queued. A separate session: this one may not run SQL here."""
    ids = session.info.pop(QUEUED_KEY, None)
    if ids:
        deliver_safely(ids)


@event.listens_for(db.session, "after_rollback")
def _forget_rolled_back(session) -> None:
    """Rolled-back rows never existed; nothing to send."""
    session.info.pop(QUEUED_KEY, None)


def deliver_safely(ids: list[int] | None = None, **options) -> Report | None:
    """deliver(), but never raising: the change that queued the mail has already committed."""
    try:
        return deliver(ids, **options)
    except Exception:  # noqa: BLE001 - the rows stay queued and are retried later
        log.exception("mail delivery failed; the messages stay queued")
        return None


def _waiting(now, ignore_backoff: bool):
    """Messages a sender may claim now: queued or failed (and due), or with an expired lease."""
    waiting = MailMessage.status.in_((PENDING, FAILED))
    if not ignore_backoff:
        waiting = waiting & (MailMessage.next_attempt_at <= now)
    abandoned = (MailMessage.status == SENDING) & (MailMessage.next_attempt_at <= now)
    return or_(waiting, abandoned)


def due_ids(session: Session, *, ignore_backoff: bool = False, limit: int | None = None):
    """Ids of the messages a sender may claim now, oldest first."""
    query = select(MailMessage.id).where(_waiting(utcnow(), ignore_backoff))
    return list(session.scalars(query.order_by(MailMessage.id).limit(limit)))


def claim(session: Session, message_id: int, *, ignore_backoff: bool = False) -> bool:
    """Take a message for sending; only one of several concurrent senders gets it."""
    now = utcnow()
    lease = timedelta(seconds=current_app.config["MAIL_OUTBOX_LEASE"])
    result = session.execute(
        update(MailMessage)
        .where(MailMessage.id == message_id, _waiting(now, ignore_backoff))
        .values(status=SENDING, attempts=MailMessage.attempts + 1, next_attempt_at=now + lease)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return result.rowcount == 1


def backoff(attempts: int) -> timedelta:
    """Delay before the next try: doubling from MAIL_OUTBOX_BACKOFF up to the maximum."""
    config = current_app.config
    seconds = config["MAIL_OUTBOX_BACKOFF"] * 2 ** min(max(attempts - 1, 0), 30)
    return timedelta(seconds=min(seconds, config["MAIL_OUTBOX_BACKOFF_MAX"]))


def _finish(session: Session, message: MailMessage, error: Exception | None) -> None:
    """Record the outcome of an attempt: sent, or failed with the error and the next try."""
    if error is None:
        message.status, message.sent_at, message.last_error = SENT, utcnow(), None
        log.info("mail %s (%s) sent to %s", message.id, message.event, message.recipients)
    else:
        message.status = FAILED
        message.last_error = f"{type(error).__name__}: {error}"[:MAX_ERROR_LENGTH]
        message.next_attempt_at = utcnow() + backoff(message.attempts)
        log.warning(
            "mail %s (%s) not sent, attempt %d, retry after %s: %s",
            message.id,
            message.event,
            message.attempts,
            message.next_attempt_at,
            message.last_error,
        )
    session.commit()


def deliver(
    ids: list[int] | None = None, *, ignore_backoff: bool = False, limit: int | None = None
) -> Report:
    """Send the given messages, or every due one; stop early when the server is unreachable."""
    report = Report()
    app = current_app._get_current_object()
    with Session(db.engine, expire_on_commit=False) as session, open_transport(app) as transport:
        if ids is None:
            ids = due_ids(session, ignore_backoff=ignore_backoff, limit=limit)
        for message_id in ids:
            if not claim(session, message_id, ignore_backoff=ignore_backoff):
                continue
            message = session.get(MailMessage, message_id)
            try:
                transport.send(message)
            except MESSAGE_ERRORS as error:
                _finish(session, message, error)
                report.failed += 1
                continue
            except Exception as error:  # noqa: BLE001 - unreachable server: record, stop
                _finish(session, message, error)
                report.failed += 1
                break
            _finish(session, message, None)
            report.sent += 1
    return report


def counts() -> dict[str, int]:
    """How many messages are in each state, for the administrator."""
    query = select(MailMessage.status, db.func.count()).group_by(MailMessage.status)
    return dict(db.session.execute(query).all())


def unsent_messages(limit: int = 100) -> list[MailMessage]:
    """Pending, failed and in-flight messages, oldest first, for the administrator."""
    query = select(MailMessage).where(MailMessage.status != SENT).order_by(MailMessage.id)
    return list(db.session.scalars(query.limit(limit)))


def sent_messages(page: int, per_page: int = 25):
    """Sent messages, newest first, one page at a time (a Flask-SQLAlchemy Pagination)."""
    query = select(MailMessage).where(MailMessage.status == SENT).order_by(MailMessage.id.desc())
    return db.paginate(query, page=page, per_page=per_page, error_out=False, count=True)
