"""protected identities: keyed hashes of names, and each community's secret

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "identity_secrets",
        sa.Column("community", sa.String(length=200), nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("community"),
    )
    op.create_table(
        "protected_identities",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("community", sa.String(length=200), nullable=False),
        sa.Column("member", sa.String(length=500), nullable=True),
        sa.Column("digests", sa.JSON(), nullable=False),
        sa.Column("heads", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_protected_identities_community", "protected_identities", ["community"])


def downgrade() -> None:
    op.drop_index("ix_protected_identities_community", table_name="protected_identities")
    op.drop_table("protected_identities")
    op.drop_table("identity_secrets")
