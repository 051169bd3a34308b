"""A real SMTP server on localhost (aiosmtpd) that keeps what it receives, for mail tests."""

import email
import socket
from email import policy

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpSink:
    """Started and stopped by the test; the port stays the same, as a real server's would."""

    def __init__(self):
        self.port = free_port()
        self.envelopes = []
        self.controller = None

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted"

    def start(self):
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self) -> list[email.message.EmailMessage]:
        return [
            email.message_from_bytes(envelope.content, policy=policy.default)
            for envelope in self.envelopes
        ]

    def recipients(self) -> list[list[str]]:
        return [envelope.rcpt_tos for envelope in self.envelopes]


def parts(message) -> tuple[str, str]:
    """The text and HTML parts of a received message."""
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


def running_sink():
    """Fixture body: a started sink, stopped after the test."""
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


def smtp_config(config: dict, sink: SmtpSink) -> dict:
    """The app's settings pointed at the sink, with Flask-Mail really sending under TESTING."""
    return {
        **config,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": sink.port,
        "MAIL_SUPPRESS_SEND": False,
        "MAIL_TIMEOUT": 5,
        "BASE_URL": "https://oauth.example.test",
    }
