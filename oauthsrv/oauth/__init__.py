"""The authorization server: token endpoint, discovery, introspection and revocation.

Part of the machine app (oauthsrv.machine): no session, no CSRF, JSON only; its errors,
routing ones included (405, 413), come from the machine app's handlers.
"""

from flask import Flask

from .server import config_oauth
from .views import bp


def init_app(app: Flask) -> None:
    """Register the endpoints and the authorization server on the machine app."""
    app.register_blueprint(bp)
    config_oauth(app)
