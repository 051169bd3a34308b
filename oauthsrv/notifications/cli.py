"""`flask --app wsgi notifications send-pending`: deliver the outbox now."""

import click
from flask.cli import AppGroup

from . import outbox

notifications_cli = AppGroup("notifications", help="Email notifications.")


@notifications_cli.command("send-pending")
def send_pending():
    """Try every pending and failed message now, ignoring the backoff; exit 1 if any fails."""
    report = outbox.deliver(ignore_backoff=True)
    left = sum(n for status, n in outbox.counts().items() if status != "sent")
    click.echo(f"Sent: {report.sent}, failed: {report.failed}, still queued: {left}")
    if report.failed:
        raise click.ClickException("Some messages could not be sent; they stay queued.")
