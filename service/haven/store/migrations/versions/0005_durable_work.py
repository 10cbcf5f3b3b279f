"""durable work: accepted posts held until decided in full mode too, parked posts, and
each webhook delivery's next attempt time

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("pending_posts") as batch:
        batch.add_column(sa.Column("community", sa.String(length=200), nullable=False, server_default=""))
        batch.add_column(sa.Column("status", sa.String(length=20), nullable=False, server_default="pending"))
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("reason", sa.String(length=500), nullable=True))
        batch.add_column(sa.Column("due_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index("ix_pending_posts_due_at", ["due_at"])
    with op.batch_alter_table("webhook_deliveries") as batch:
        batch.add_column(sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index("ix_webhook_deliveries_next_attempt_at", ["next_attempt_at"])


def downgrade() -> None:
    with op.batch_alter_table("webhook_deliveries") as batch:
        batch.drop_index("ix_webhook_deliveries_next_attempt_at")
        batch.drop_column("next_attempt_at")
    with op.batch_alter_table("pending_posts") as batch:
        batch.drop_index("ix_pending_posts_due_at")
        for column in ("due_at", "reason", "attempts", "status", "community"):
            batch.drop_column(column)
