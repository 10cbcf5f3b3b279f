"""a decision's history: which decision each webhook delivery is about, when each reminder went out

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Deliveries stored before this revision name no decision: a history lists them from here on.
    with op.batch_alter_table("webhook_deliveries") as batch:
        batch.add_column(sa.Column("decision_id", sa.String(length=36), nullable=True))
        batch.create_index("ix_webhook_deliveries_decision_id", ["decision_id"])
    with op.batch_alter_table("escalations") as batch:
        batch.add_column(sa.Column("reminded_at", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("escalations") as batch:
        batch.drop_column("reminded_at")
    with op.batch_alter_table("webhook_deliveries") as batch:
        batch.drop_index("ix_webhook_deliveries_decision_id")
        batch.drop_column("decision_id")
