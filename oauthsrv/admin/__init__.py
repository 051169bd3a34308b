"""Administration pages: the users list and a user's page with their OAuth applications."""

from .views import bp

__all__ = ["bp"]
