"""The candle store (`candles`): every candle Zyn fetched, backfilled or imported, per pair,
timeframe and open time (issue 17 point 3). Before this revision candles lived only in memory
and in the CSV files given to a replay.

Revision ID: 0004_candles
Revises: 0003_deferred_alerts
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_candles"
down_revision: str | None = "0003_deferred_alerts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "candles",
        sa.Column("pair", sa.String(), nullable=False),
        sa.Column("timeframe", sa.String(), nullable=False),
        sa.Column("ts_ms", sa.BigInteger(), nullable=False),
        sa.Column("open", sa.Float(), nullable=False),
        sa.Column("high", sa.Float(), nullable=False),
        sa.Column("low", sa.Float(), nullable=False),
        sa.Column("close", sa.Float(), nullable=False),
        sa.Column("volume", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("pair", "timeframe", "ts_ms"),
    )


def downgrade() -> None:
    op.drop_table("candles")
