"""Handovers and timers.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

from shared.db import frozen

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    frozen.run(op, frozen.TIMERS_V1)
    op.create_table(
        "handovers",
        sa.Column("handover_id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("person_id", pg.UUID(as_uuid=True), nullable=False, index=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("notice_no", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("release_date", sa.Date, nullable=False),
        sa.Column("destination_town", sa.Text, nullable=False),
        sa.Column("person_masked", pg.JSONB, nullable=False),
        sa.Column("linked", sa.Boolean, nullable=False),
        sa.Column("justice_office", sa.Text),
        sa.Column("unlinked_reason", sa.Text),
        sa.Column("key_person", sa.Boolean, nullable=False),
        sa.Column("key_reasons", pg.JSONB, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duplicates", sa.Integer, nullable=False, server_default="0"),
        sa.Column("receipt_at", sa.DateTime(timezone=True)),
        sa.Column("police_handover_at", sa.DateTime(timezone=True)),
        sa.Column("pickup_plan", pg.JSONB),
        sa.Column("pickup_outcome", sa.Text),
        sa.Column("released_at", sa.DateTime(timezone=True)),
        sa.Column("arrived_at", sa.DateTime(timezone=True)),
        sa.Column("agreement", pg.JSONB),
        sa.Column("assistance", pg.JSONB, nullable=False, server_default="[]"),
    )
    op.create_index("handovers_office_release", "handovers", ["justice_office", "release_date"])


def downgrade() -> None:
    op.drop_table("handovers")
    op.drop_table("timers")
