"""community policy versions, their state, and candidate decisions

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "policy_versions",
        sa.Column("community", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("documents", sa.JSON(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("author_key", sa.String(length=36), nullable=True),
        sa.Column("message", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("community", "version"),
    )
    op.create_table(
        "policy_state",
        sa.Column("community", sa.String(length=200), nullable=False),
        sa.Column("active_version", sa.Integer(), nullable=True),
        sa.Column("candidate_version", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("community"),
    )
    op.create_table(
        "candidate_decisions",
        sa.Column("decision_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("community", sa.String(length=200), nullable=False),
        sa.Column("verdict", sa.String(length=20), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("decision_id", "version"),
    )
    op.create_index("ix_candidate_decisions_version", "candidate_decisions", ["community", "version"])
    op.create_index("ix_candidate_decisions_decided_at", "candidate_decisions", ["decided_at"])


def downgrade() -> None:
    op.drop_index("ix_candidate_decisions_decided_at", table_name="candidate_decisions")
    op.drop_index("ix_candidate_decisions_version", table_name="candidate_decisions")
    op.drop_table("candidate_decisions")
    op.drop_table("policy_state")
    op.drop_table("policy_versions")
