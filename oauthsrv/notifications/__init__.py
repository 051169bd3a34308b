"""Owner notifications (application created, secret regenerated): the outbox, editable
templates and rules, and their settings page."""

import time

from flask import Flask, current_app, request

from ..signals import application_created, secret_regenerated
from . import listener, outbox
from .views import bp


def init_app(app: Flask) -> None:
    """Register the page, the listener and the retry on later requests (CLI: oauthsrv.cli).

    Back-office only: the machine app (token endpoints, APIs) has no outbox hook, so a delivery
    attempt (SMTP) never stalls a machine client.
    """
    app.register_blueprint(bp)
    application_created.connect(listener.on_application_created)
    secret_regenerated.connect(listener.on_secret_regenerated)
    app.extensions["notifications"] = {"next_poll": 0.0}
    app.after_request(retry_due_messages)


def retry_due_messages(response):
    """Now and then (MAIL_OUTBOX_POLL_INTERVAL), a request retries the messages that are due."""
    state = current_app.extensions["notifications"]
    now = time.monotonic()
    if now < state["next_poll"] or request.endpoint == "static":
        return response
    state["next_poll"] = now + current_app.config["MAIL_OUTBOX_POLL_INTERVAL"]
    outbox.deliver_safely(limit=current_app.config["MAIL_OUTBOX_BATCH"])
    return response
