"""OAuth applications (clients) and revoked access tokens."""

from datetime import datetime

from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .accounts import CustomerUser, Organization, User
from .base import utcnow

BACKEND = "backend"  # owned by a back-office user, for /admin/api/
FRONTEND = "frontend"  # owned by a storefront customer user, for /api/

# How an application authenticates at the token, introspection and revocation endpoints.
CLIENT_SECRET = "client_secret"  # client_secret_basic or client_secret_post
PRIVATE_KEY_JWT = "private_key_jwt"  # RFC 7523 §2.2 signed assertion


class OAuthApplication(db.Model):
    __tablename__ = "oauth_applications"
    __table_args__ = (
        db.UniqueConstraint("owner_user_id", "organization_id", "name"),
        db.UniqueConstraint("owner_customer_user_id", "organization_id", "name"),
        db.CheckConstraint(
            "(kind = 'backend' AND owner_user_id IS NOT NULL AND owner_customer_user_id IS NULL)"
            " OR (kind = 'frontend' AND owner_customer_user_id IS NOT NULL"
            " AND owner_user_id IS NULL)",
            name="one_owner_of_its_kind",
        ),
        db.Index("ix_oauth_applications_owner_user_created", "owner_user_id", "created_at"),
        db.Index(
            "ix_oauth_applications_owner_customer_created", "owner_customer_user_id", "created_at"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(db.String(255))
    client_id: Mapped[str] = mapped_column(db.String(64), unique=True)
    # "<algorithm>$<digest>", so the algorithm can change without a flag day.
    client_secret_hash: Mapped[str] = mapped_column(db.String(160))
    # The secret before the last regeneration, still accepted until previous_secret_expires_at
    # (checked when used: no job ends an overlap). Both or neither.
    previous_client_secret_hash: Mapped[str | None] = mapped_column(db.String(160))
    previous_secret_expires_at: Mapped[datetime | None]
    # CLIENT_SECRET or PRIVATE_KEY_JWT; the other kind of credential is refused.
    client_auth_method: Mapped[str] = mapped_column(
        db.String(32), default=CLIENT_SECRET, server_default=CLIENT_SECRET
    )
    # private_key_jwt: the registered public keys as a JWKS document (a pasted PEM or JWK is
    # stored in that form), or the HTTPS URL they are fetched from (services/client_keys.py).
    client_jwks: Mapped[str | None] = mapped_column(db.Text)
    jwks_url: Mapped[str | None] = mapped_column(db.String(2048))
    kind: Mapped[str] = mapped_column(db.String(16), default=BACKEND)
    owner_user_id: Mapped[int | None] = mapped_column(db.ForeignKey("users.id", ondelete="CASCADE"))
    owner_customer_user_id: Mapped[int | None] = mapped_column(
        db.ForeignKey("customer_users.id", ondelete="CASCADE")
    )
    organization_id: Mapped[int] = mapped_column(
        db.ForeignKey("organizations.id", ondelete="RESTRICT"), index=True
    )
    is_active: Mapped[bool] = mapped_column(default=True)
    # Space-delimited scopes the application may ask for.
    scopes: Mapped[str] = mapped_column(db.Text, default="")
    # Bumped on every change that must revoke the tokens issued so far; tokens carry it.
    generation: Mapped[int] = mapped_column(default=1)
    last_used_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    owner_user: Mapped[User | None] = relationship(lazy="joined")
    owner_customer_user: Mapped[CustomerUser | None] = relationship(lazy="joined")
    organization: Mapped[Organization] = relationship(lazy="joined")

    @property
    def owner(self) -> User | CustomerUser:
        """The back-office user or customer user who owns the application."""
        return self.owner_user if self.kind == BACKEND else self.owner_customer_user

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()

    def __repr__(self) -> str:
        return f"<OAuthApplication {self.client_id} {self.name!r}>"


class TokenRevocation(db.Model):
    """An access token revoked on its own (RFC 7009), kept until it would have expired."""

    __tablename__ = "token_revocations"

    jti: Mapped[str] = mapped_column(db.String(64), primary_key=True)
    application_id: Mapped[int] = mapped_column(
        db.ForeignKey("oauth_applications.id", ondelete="CASCADE"), index=True
    )
    expires_at: Mapped[datetime] = mapped_column(index=True)
    revoked_at: Mapped[datetime] = mapped_column(default=utcnow)


class ClientAssertionUse(db.Model):
    """A private_key_jwt assertion already used, kept until it expires (no replay, RFC 7523 §3).

    Keyed by a hash of (client id, jti), so any jti a client sends fits the column.
    """

    __tablename__ = "client_assertion_uses"

    key: Mapped[str] = mapped_column(db.String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)
