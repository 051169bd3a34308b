"""My User: the logged-in back-office user's own page."""

from .views import bp

__all__ = ["bp"]
