"""Login, logout, the current organization and the session user."""

from .views import bp

__all__ = ["bp"]
