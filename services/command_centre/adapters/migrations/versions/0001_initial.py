"""Alert projection and change log; outbox and inbox.

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
        "alert_view",
        sa.Column("alert_id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("person_id", pg.UUID(as_uuid=True), nullable=False),
        sa.Column("colour", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("rule_id", sa.Text, nullable=False),
        sa.Column("jurisdiction", sa.Text, nullable=False, index=True),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("data", pg.JSONB, nullable=False),
    )
    op.create_table(
        "alert_changes",
        sa.Column("seq", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("alert_id", pg.UUID(as_uuid=True), nullable=False),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("jurisdiction", sa.Text, nullable=False),
        sa.Column("data", pg.JSONB, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )


def downgrade() -> None:
    op.drop_table("alert_changes")
    op.drop_table("alert_view")
    frozen.run(op, frozen.PLUMBING_V1_DROP)
