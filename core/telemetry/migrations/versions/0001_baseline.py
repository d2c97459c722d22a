"""Baseline: the schema as the last version before Alembic wrote it (create_all of its models).

Generated once by Alembic's autogenerate from that version's models and frozen here: a database
without an `alembic_version` table is this schema, and is stamped with this revision before
the later revisions run. Money on orders and trades is still float here.

Revision ID: 0001_baseline
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from core.telemetry.exact_decimal import ExactDecimal

revision = "0001_baseline"
down_revision: str | None = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('conversations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ts_ms', sa.BigInteger(), nullable=False),
    sa.Column('channel', sa.String(), nullable=False),
    sa.Column('user_id', sa.String(), nullable=False),
    sa.Column('direction', sa.String(), nullable=False),
    sa.Column('text', sa.String(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_conversations_channel'), ['channel'], unique=False)
        batch_op.create_index(batch_op.f('ix_conversations_ts_ms'), ['ts_ms'], unique=False)
        batch_op.create_index(batch_op.f('ix_conversations_user_id'), ['user_id'], unique=False)

    op.create_table('decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ts_ms', sa.BigInteger(), nullable=False),
    sa.Column('decided_ms', sa.BigInteger(), nullable=False),
    sa.Column('pair', sa.String(), nullable=False),
    sa.Column('timeframe', sa.String(), nullable=False),
    sa.Column('action', sa.String(), nullable=False),
    sa.Column('reason', sa.String(), nullable=False),
    sa.Column('price', sa.Float(), nullable=True),
    sa.Column('sma', sa.Float(), nullable=True),
    sa.Column('atr', sa.Float(), nullable=True),
    sa.Column('amount', sa.Float(), nullable=True),
    sa.Column('stop', sa.Float(), nullable=True),
    sa.Column('target', sa.Float(), nullable=True),
    sa.Column('equity', sa.Float(), nullable=True),
    sa.Column('learner_version', sa.Integer(), nullable=True),
    sa.Column('learner_note', sa.String(), nullable=False),
    sa.Column('size_factor', sa.Float(), nullable=True),
    sa.Column('context_json', sa.String(), nullable=False),
    sa.Column('source', sa.String(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_decisions_pair'), ['pair'], unique=False)
        batch_op.create_index(batch_op.f('ix_decisions_ts_ms'), ['ts_ms'], unique=False)

    op.create_table('equity_snapshots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ts_ms', sa.BigInteger(), nullable=False),
    sa.Column('equity', sa.Float(), nullable=False),
    sa.Column('cash', sa.Float(), nullable=False),
    sa.Column('source', sa.String(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('equity_snapshots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_equity_snapshots_ts_ms'), ['ts_ms'], unique=False)

    op.create_table('errors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ts_ms', sa.BigInteger(), nullable=False),
    sa.Column('where', sa.String(), nullable=False),
    sa.Column('kind', sa.String(), nullable=False),
    sa.Column('message', sa.String(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('errors', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_errors_ts_ms'), ['ts_ms'], unique=False)

    op.create_table('insights',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ts_ms', sa.BigInteger(), nullable=False),
    sa.Column('learner_version', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(), nullable=False),
    sa.Column('text', sa.String(), nullable=False),
    sa.Column('evidence_json', sa.String(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('insights', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_insights_ts_ms'), ['ts_ms'], unique=False)

    op.create_table('kv',
    sa.Column('key', sa.String(), nullable=False),
    sa.Column('value', sa.String(), nullable=False),
    sa.Column('updated_ms', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('learner_state',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('ts_ms', sa.BigInteger(), nullable=False),
    sa.Column('trained_on', sa.Integer(), nullable=False),
    sa.Column('model_json', sa.String(), nullable=False),
    sa.Column('note', sa.String(), nullable=False),
    sa.PrimaryKeyConstraint('version')
    )
    op.create_table('memory',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_key', sa.String(), nullable=False),
    sa.Column('summary', sa.String(), nullable=False),
    sa.Column('updated_ms', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('memory', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_memory_user_key'), ['user_key'], unique=True)

    op.create_table('orders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_ref', sa.String(), nullable=False),
    sa.Column('exchange_id', sa.String(), nullable=False),
    sa.Column('pair', sa.String(), nullable=False),
    sa.Column('side', sa.String(), nullable=False),
    sa.Column('type', sa.String(), nullable=False),
    sa.Column('amount', sa.Float(), nullable=False),
    sa.Column('price', sa.Float(), nullable=True),
    sa.Column('status', sa.String(), nullable=False),
    sa.Column('purpose', sa.String(), nullable=False),
    sa.Column('trade_id', sa.Integer(), nullable=True),
    sa.Column('created_ms', sa.BigInteger(), nullable=False),
    sa.Column('updated_ms', sa.BigInteger(), nullable=False),
    sa.Column('error', sa.String(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_orders_client_ref'), ['client_ref'], unique=True)
        batch_op.create_index(batch_op.f('ix_orders_exchange_id'), ['exchange_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_orders_trade_id'), ['trade_id'], unique=False)

    op.create_table('paper_balances',
    sa.Column('asset', sa.String(), nullable=False),
    sa.Column('total', sa.String(), nullable=False),
    sa.PrimaryKeyConstraint('asset')
    )
    op.create_table('paper_fills',
    sa.Column('id', sa.String(), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('order_id', sa.String(), nullable=False),
    sa.Column('pair', sa.String(), nullable=False),
    sa.Column('side', sa.String(), nullable=False),
    sa.Column('amount', sa.String(), nullable=False),
    sa.Column('price', sa.String(), nullable=False),
    sa.Column('fee', sa.String(), nullable=False),
    sa.Column('ts_ms', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('paper_fills', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_paper_fills_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_paper_fills_seq'), ['seq'], unique=False)
        batch_op.create_index(batch_op.f('ix_paper_fills_ts_ms'), ['ts_ms'], unique=False)

    op.create_table('paper_orders',
    sa.Column('id', sa.String(), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('pair', sa.String(), nullable=False),
    sa.Column('side', sa.String(), nullable=False),
    sa.Column('type', sa.String(), nullable=False),
    sa.Column('amount', sa.String(), nullable=False),
    sa.Column('price', sa.String(), nullable=True),
    sa.Column('status', sa.String(), nullable=False),
    sa.Column('filled', sa.String(), nullable=False),
    sa.Column('average_price', sa.String(), nullable=True),
    sa.Column('fee', sa.String(), nullable=False),
    sa.Column('client_ref', sa.String(), nullable=False),
    sa.Column('created_ms', sa.BigInteger(), nullable=False),
    sa.Column('closed_ms', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('paper_orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_paper_orders_client_ref'), ['client_ref'], unique=False)
        batch_op.create_index(batch_op.f('ix_paper_orders_seq'), ['seq'], unique=False)
        batch_op.create_index(batch_op.f('ix_paper_orders_status'), ['status'], unique=False)

    op.create_table('paper_state',
    sa.Column('key', sa.String(), nullable=False),
    sa.Column('value', sa.String(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('positions',
    sa.Column('trade_id', sa.Integer(), nullable=False),
    sa.Column('pair', sa.String(), nullable=False),
    sa.Column('entry_ref', sa.String(), nullable=False),
    sa.Column('amount', ExactDecimal(), nullable=False),
    sa.Column('entry_price', ExactDecimal(), nullable=False),
    sa.Column('entry_cost', ExactDecimal(), nullable=False),
    sa.Column('entry_fee', ExactDecimal(), nullable=False),
    sa.Column('stop', ExactDecimal(), nullable=False),
    sa.Column('target', ExactDecimal(), nullable=True),
    sa.Column('stop_order_id', sa.String(), nullable=False),
    sa.Column('initial_risk', sa.Float(), nullable=False),
    sa.Column('entry_ms', sa.BigInteger(), nullable=False),
    sa.Column('sold', ExactDecimal(), nullable=False),
    sa.Column('proceeds', ExactDecimal(), nullable=False),
    sa.Column('realized', ExactDecimal(), nullable=False),
    sa.Column('exit_fees', ExactDecimal(), nullable=False),
    sa.Column('updated_ms', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('trade_id')
    )
    with op.batch_alter_table('positions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_positions_pair'), ['pair'], unique=False)

    op.create_table('safety_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ts_ms', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.String(), nullable=False),
    sa.Column('detail', sa.String(), nullable=False),
    sa.Column('channel', sa.String(), nullable=False),
    sa.Column('user_id', sa.String(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('safety_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_safety_events_ts_ms'), ['ts_ms'], unique=False)

    op.create_table('scheduler_lock',
    sa.Column('name', sa.String(), nullable=False),
    sa.Column('holder', sa.String(), nullable=False),
    sa.Column('expires_ms', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_table('trades',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pair', sa.String(), nullable=False),
    sa.Column('source', sa.String(), nullable=False),
    sa.Column('status', sa.String(), nullable=False),
    sa.Column('entry_ms', sa.BigInteger(), nullable=False),
    sa.Column('exit_ms', sa.BigInteger(), nullable=True),
    sa.Column('amount', sa.Float(), nullable=False),
    sa.Column('entry_price', sa.Float(), nullable=False),
    sa.Column('exit_price', sa.Float(), nullable=True),
    sa.Column('stop_price', sa.Float(), nullable=True),
    sa.Column('target_price', sa.Float(), nullable=True),
    sa.Column('stop_order_id', sa.String(), nullable=False),
    sa.Column('initial_risk', sa.Float(), nullable=False),
    sa.Column('fees', sa.Float(), nullable=False),
    sa.Column('pnl', sa.Float(), nullable=True),
    sa.Column('r_multiple', sa.Float(), nullable=True),
    sa.Column('exit_reason', sa.String(), nullable=False),
    sa.Column('atr', sa.Float(), nullable=True),
    sa.Column('atr_pct', sa.Float(), nullable=True),
    sa.Column('sma', sa.Float(), nullable=True),
    sa.Column('trend_strength', sa.Float(), nullable=True),
    sa.Column('decision_id', sa.Integer(), nullable=True),
    sa.Column('learner_version', sa.Integer(), nullable=True),
    sa.Column('size_factor', sa.Float(), nullable=True),
    sa.Column('context_json', sa.String(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('trades', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trades_pair'), ['pair'], unique=False)


def downgrade() -> None:
    raise NotImplementedError("the baseline is the oldest schema Zyn upgrades from")
