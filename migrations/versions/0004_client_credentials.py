"""client credentials: overlapping secret rotation and private_key_jwt

Revision ID: 0004_client_credentials
Revises: 0001_initial
Create Date: 2026-12-03 09:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0004_client_credentials"
down_revision = "0003_admin_audit"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("oauth_applications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("previous_client_secret_hash", sa.String(length=160)))
        batch_op.add_column(sa.Column("previous_secret_expires_at", sa.DateTime()))
        batch_op.add_column(
            sa.Column(
                "client_auth_method",
                sa.String(length=32),
                server_default="client_secret",
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column("client_jwks", sa.Text()))
        batch_op.add_column(sa.Column("jwks_url", sa.String(length=2048)))
    op.create_table(
        "client_assertion_uses",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_client_assertion_uses")),
    )
    with op.batch_alter_table("client_assertion_uses", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_client_assertion_uses_expires_at"), ["expires_at"], unique=False
        )


def downgrade():
    with op.batch_alter_table("client_assertion_uses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_client_assertion_uses_expires_at"))
    op.drop_table("client_assertion_uses")
    with op.batch_alter_table("oauth_applications", schema=None) as batch_op:
        batch_op.drop_column("jwks_url")
        batch_op.drop_column("client_jwks")
        batch_op.drop_column("client_auth_method")
        batch_op.drop_column("previous_secret_expires_at")
        batch_op.drop_column("previous_client_secret_hash")
