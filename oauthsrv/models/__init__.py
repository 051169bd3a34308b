"""Database models, one module per area."""

from .accounts import CustomerUser, LoginSession, Organization, User, user_organizations
from .audit import AuditEvent
from .notifications import MailMessage, NotificationRule, NotificationTemplate
from .oauth import ClientAssertionUse, OAuthApplication, TokenRevocation

__all__ = [
    "AuditEvent",
    "ClientAssertionUse",
    "CustomerUser",
    "LoginSession",
    "MailMessage",
    "NotificationRule",
    "NotificationTemplate",
    "OAuthApplication",
    "Organization",
    "TokenRevocation",
    "User",
    "user_organizations",
]
