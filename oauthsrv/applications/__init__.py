"""OAuth Applications: the grid, the Add/Edit dialogs and the row actions, for any owner."""

from .views import bp

__all__ = ["bp"]
