"""Database models, one module per area."""

from .accounts import CustomerUser, LoginSession, Organization, User, user_organizations
from .notifications import MailMessage, NotificationRule, NotificationTemplate
from .oauth import OAuthApplication, TokenRevocation

__all__ = [
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
