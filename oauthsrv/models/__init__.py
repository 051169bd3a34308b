"""Database models, one module per area."""

from .accounts import CustomerUser, Organization, User, user_organizations
from .notifications import MailMessage, NotificationRule, NotificationTemplate
from .oauth import ClientAssertionUse, OAuthApplication, TokenRevocation

__all__ = [
    "ClientAssertionUse",
    "CustomerUser",
    "MailMessage",
    "NotificationRule",
    "NotificationTemplate",
    "OAuthApplication",
    "Organization",
    "TokenRevocation",
    "User",
    "user_organizations",
]
