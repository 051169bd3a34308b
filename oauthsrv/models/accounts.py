"""Organizations, back-office users and storefront customer users."""

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import utcnow

user_organizations = db.Table(
    "user_organizations",
    db.Column("user_id", db.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    db.Column(
        "organization_id", db.ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    ),
)


class Organization(db.Model):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(db.String(255), unique=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    # As in Oro: a user working in a global-access organization may act in every other one.
    is_global_access: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<Organization {self.name}>"


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(db.String(255), unique=True)
    name: Mapped[str] = mapped_column(db.String(255))
    password_hash: Mapped[str] = mapped_column(db.String(255))
    is_active: Mapped[bool] = mapped_column(default=True)
    is_admin: Mapped[bool] = mapped_column(default=False)
    locale: Mapped[str] = mapped_column(db.String(16), default="en")
    last_organization_id: Mapped[int | None] = mapped_column(
        db.ForeignKey("organizations.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organizations: Mapped[list[Organization]] = relationship(
        secondary=user_organizations, order_by=Organization.name, lazy="selectin"
    )

    def belongs_to(self, organization_id: int) -> bool:
        """Whether the user is a member of the organization."""
        return any(org.id == organization_id for org in self.organizations)

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class CustomerUser(db.Model):
    """A storefront customer user: owns applications for the frontend API."""

    __tablename__ = "customer_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(db.String(255), unique=True)
    name: Mapped[str] = mapped_column(db.String(255))
    is_active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str] = mapped_column(db.String(16), default="en")
    organization_id: Mapped[int] = mapped_column(
        db.ForeignKey("organizations.id", ondelete="RESTRICT"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organization: Mapped[Organization] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<CustomerUser {self.email}>"


class LoginSession(db.Model):
    """A back-office login, named by a random key in the signed session cookie (stored here as
    its SHA-256). Deleting the row ends the session on every host at its next request."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(db.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(db.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
