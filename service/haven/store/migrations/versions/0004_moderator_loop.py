"""escalations to acknowledge, the review queue, moderators' crisis streaks

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "escalations",
        sa.Column("decision_id", sa.String(length=36), nullable=False),
        sa.Column("community", sa.String(length=200), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=200), nullable=True),
        sa.Column("reminders_sent", sa.Integer(), nullable=False),
        sa.Column("next_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("unacknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["decision_id"], ["decisions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("decision_id"),
    )
    op.create_index("ix_escalations_community", "escalations", ["community"])
    op.create_index("ix_escalations_next_due_at", "escalations", ["next_due_at"])
    op.create_table(
        "queue_items",
        sa.Column("decision_id", sa.String(length=36), nullable=False),
        sa.Column("community", sa.String(length=200), nullable=False),
        sa.Column("crisis", sa.Boolean(), nullable=False),
        sa.Column("severity", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_by", sa.String(length=200), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["decision_id"], ["decisions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("decision_id"),
    )
    op.create_index("ix_queue_items_open", "queue_items", ["community", "reviewed_at"])
    op.create_table(
        "moderator_streaks",
        sa.Column("community", sa.String(length=200), nullable=False),
        sa.Column("moderator", sa.String(length=200), nullable=False),
        sa.Column("crisis_in_row", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("community", "moderator"),
    )


def downgrade() -> None:
    op.drop_table("moderator_streaks")
    op.drop_index("ix_queue_items_open", table_name="queue_items")
    op.drop_table("queue_items")
    op.drop_index("ix_escalations_next_due_at", table_name="escalations")
    op.drop_index("ix_escalations_community", table_name="escalations")
    op.drop_table("escalations")
