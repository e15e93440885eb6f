"""Alerts and their log; outbox and inbox.

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

from shared.db import frozen

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    frozen.run(op, frozen.PLUMBING_V1)
    op.create_table(
        "alerts",
        sa.Column("alert_id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("person_id", pg.UUID(as_uuid=True), nullable=False, index=True),
        sa.Column("rule_id", sa.Text, nullable=False),
        sa.Column("cause", sa.Text, nullable=False),
        sa.Column("colour", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("jurisdiction", sa.Text, nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ack_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("dispose_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("evidence", pg.JSONB, nullable=False),
        sa.Column("data", pg.JSONB, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "alert_log",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("alert_id", pg.UUID(as_uuid=True), nullable=False, index=True),
        sa.Column("step", sa.Text, nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("event_id", pg.UUID(as_uuid=True)),
    )


def downgrade() -> None:
    op.drop_table("alert_log")
    op.drop_table("alerts")
    frozen.run(op, frozen.PLUMBING_V1_DROP)
