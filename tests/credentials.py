"""An application's client credentials in the shapes the tests send them."""

import base64
from types import SimpleNamespace


def basic(client_id: str, secret: str) -> dict:
    """An Authorization header with HTTP Basic client credentials."""
    raw = f"{client_id}:{secret}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


def credentials(application, secret: str) -> SimpleNamespace:
    """The application with its secret, as body members and as a Basic header."""
    return SimpleNamespace(
        application=application,
        client_id=application.client_id,
        secret=secret,
        id=application.id,
        body={"client_id": application.client_id, "client_secret": secret},
        basic=basic(application.client_id, secret),
    )
