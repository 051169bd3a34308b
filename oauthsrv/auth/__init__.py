"""Login, logout, the current organization and the session user."""

from . import return_to  # noqa: F401  (registers the login redirect on login_manager)
from .views import bp

__all__ = ["bp"]
