"""The Bearer-protected APIs: backend under /admin/api (back-office owners), frontend under /api
(storefront customer users). URL map in views.py, Bearer rules in bearer.py; see docs/api.md.

They belong to the machine app (oauthsrv.machine): no session, no CSRF, JSON only.
"""

from flask import Flask

from .views import backend_bp, frontend_bp


def init_app(app: Flask) -> None:
    """Register both APIs on the machine app."""
    app.register_blueprint(backend_bp)
    app.register_blueprint(frontend_bp)
