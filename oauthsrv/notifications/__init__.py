"""Creation notifications: the outbox, editable templates and rules, and their settings page."""

import time

from flask import Blueprint, Flask, current_app, request

from ..security import is_machine_path
from ..signals import application_created

bp = Blueprint("notifications", __name__, url_prefix="/admin/system/notifications")

from . import listener, outbox, views  # noqa: E402,F401  (outbox registers its session hooks)


def init_app(app: Flask) -> None:
    """Register the page, the listener and the retry on later requests (CLI: oauthsrv.cli)."""
    app.register_blueprint(bp)
    application_created.connect(listener.on_application_created)
    app.extensions["notifications"] = {"next_poll": 0.0}
    app.after_request(retry_due_messages)


def retry_due_messages(response):
    """Now and then (MAIL_OUTBOX_POLL_INTERVAL), a request retries the messages that are due.

    Only back-office requests do it: token and API requests are the hot paths, and a delivery
    attempt (SMTP) inside one would stall a machine client for seconds.
    """
    if is_machine_path(request.path):
        return response
    state = current_app.extensions["notifications"]
    now = time.monotonic()
    if now < state["next_poll"] or request.endpoint == "static":
        return response
    state["next_poll"] = now + current_app.config["MAIL_OUTBOX_POLL_INTERVAL"]
    outbox.deliver_safely(limit=current_app.config["MAIL_OUTBOX_BATCH"])
    return response
