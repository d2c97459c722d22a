"""Alerts held during the owner's quiet hours (`deferred_alerts`), sent as one digest when they end.

Before this revision an alert raised in quiet hours was dropped; now it waits in this table
(`released_ms` is set by the statement that claims it, so each goes out once).

Revision ID: 0003_deferred_alerts
Revises: 0002_exact_money
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_deferred_alerts"
down_revision: str | None = "0002_exact_money"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deferred_alerts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ts_ms", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("text", sa.String(), nullable=False),
        sa.Column("released_ms", sa.BigInteger(), nullable=True),
    )
    op.create_index("ix_deferred_alerts_ts_ms", "deferred_alerts", ["ts_ms"])
    op.create_index("ix_deferred_alerts_released_ms", "deferred_alerts", ["released_ms"])


def downgrade() -> None:
    op.drop_index("ix_deferred_alerts_released_ms", table_name="deferred_alerts")
    op.drop_index("ix_deferred_alerts_ts_ms", table_name="deferred_alerts")
    op.drop_table("deferred_alerts")
