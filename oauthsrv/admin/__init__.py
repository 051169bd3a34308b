"""Administration pages: users, organizations and the audit. All OAuth Applications is the
applications section's own views under /admin/oauth-applications (applications/owners.py)."""

from . import audit, organizations, users  # noqa: F401  (register their routes on bp)
from .views import bp

__all__ = ["bp"]
