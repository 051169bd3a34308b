"""Handing a queued message to SMTP through Flask-Mail, or, with no SMTP server, to a file."""

import logging
import smtplib
from contextlib import contextmanager
from email.utils import parseaddr
from pathlib import Path

from flask import current_app
from flask_mail import Connection, Message, email_dispatched

from ..models import MailMessage
from ..models.base import utcnow

log = logging.getLogger(__name__)

# Refusals about one message; anything else (refused connection, timeout, lost connection) means
# the server is unreachable, so a batch stops instead of waiting on it once per message.
MESSAGE_ERRORS = (
    smtplib.SMTPRecipientsRefused,
    smtplib.SMTPSenderRefused,
    smtplib.SMTPDataError,
    smtplib.SMTPNotSupportedError,
    UnicodeError,
    ValueError,
    AssertionError,  # Flask-Mail asserts a recipient and a sender
)


def build_message(record: MailMessage) -> Message:
    """The Flask-Mail message for an outbox row: text and HTML parts, a stable Message-ID."""
    message = Message(
        subject=record.subject,
        recipients=record.recipients.split(","),
        body=record.body_text,
        html=record.body_html or None,
    )
    sender_domain = parseaddr(message.sender)[1].rpartition("@")[2] or "localhost"
    # Stable across retries, so a client can spot the rare duplicate after a crash mid-send.
    message.msgId = f"<oauthsrv.mail.{record.id}.{record.created_at:%Y%m%d%H%M%S}@{sender_domain}>"
    return message


class TimeoutConnection(Connection):
    """Flask-Mail's connection, with a timeout: a hung SMTP server must not hang a request."""

    def __init__(self, mail, timeout: float):
        super().__init__(mail)
        self.timeout = timeout

    def configure_host(self) -> smtplib.SMTP:
        """Connect, STARTTLS and log in as Flask-Mail does, with the socket timeout set."""
        smtp_class = smtplib.SMTP_SSL if self.mail.use_ssl else smtplib.SMTP
        host = smtp_class(self.mail.server, self.mail.port, timeout=self.timeout)
        if self.mail.use_tls:
            host.starttls()
        if self.mail.username and self.mail.password:
            host.login(self.mail.username, self.mail.password)
        return host


class SmtpTransport:
    """One SMTP connection per batch, opened at the first message."""

    def __init__(self, app):
        self.connection = None
        self.state = app.extensions["mail"]
        self.timeout = app.config["MAIL_TIMEOUT"]

    def send(self, record: MailMessage) -> None:
        """Send one message; errors propagate to the caller, which records them."""
        if self.connection is None:
            self.connection = TimeoutConnection(self.state, self.timeout).__enter__()
        try:
            self.connection.send(build_message(record))
        except MESSAGE_ERRORS:
            raise
        except Exception:
            self._drop()  # the connection is broken; the next batch reconnects
            raise

    def _drop(self) -> None:
        """Close the socket without QUIT: the server is not answering anyway."""
        if self.connection is not None and self.connection.host is not None:
            self.connection.host.close()
        self.connection = None

    def close(self) -> None:
        """Say QUIT; a server that already went away is no error."""
        if self.connection is not None:
            try:
                self.connection.__exit__(None, None, None)
            except (smtplib.SMTPException, OSError):
                pass
            self.connection = None


class FileTransport:
    """No SMTP server configured: log the message and write it as an .eml file to read."""

    def __init__(self, app):
        self.directory = Path(app.config["MAIL_FILE_DIRECTORY"])

    def send(self, record: MailMessage) -> None:
        """Write the message as it would have been sent, and log it."""
        message = build_message(record)
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{utcnow():%Y%m%dT%H%M%S}-{record.id}.eml"
        path.write_bytes(message.as_bytes())
        log.info(
            "no MAIL_SERVER configured; mail %s written to %s\nTo: %s\nSubject: %s\n\n%s",
            record.id,
            path,
            record.recipients,
            record.subject,
            record.body_text,
        )
        email_dispatched.send(current_app._get_current_object(), message=message)

    def close(self) -> None:
        """Nothing to close."""


@contextmanager
def open_transport(app):
    """SMTP when MAIL_SERVER is set, else the file transport; closed when the batch ends."""
    transport = SmtpTransport(app) if app.config["MAIL_SERVER"] else FileTransport(app)
    try:
        yield transport
    finally:
        transport.close()
