"""Leaves, device state in zone_state, durable timers.

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
    op.add_column("zone_state", sa.Column("last_outside", sa.Boolean, nullable=False, server_default=sa.false()))
    op.add_column("zone_state", sa.Column("tampered", sa.Boolean, nullable=False, server_default=sa.false()))
    op.add_column("zone_state", sa.Column("in_zones", pg.ARRAY(sa.Text), nullable=False, server_default="{}"))
    op.create_table(
        "leaves",
        sa.Column("leave_id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("person_id", pg.UUID(as_uuid=True), nullable=False, index=True),
        sa.Column("case_id", pg.UUID(as_uuid=True), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("destination", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("approved_by", sa.Text, nullable=False),
        sa.Column("approval_level", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )


def downgrade() -> None:
    op.drop_table("leaves")
    for column in ("in_zones", "tampered", "last_outside"):
        op.drop_column("zone_state", column)
    op.drop_table("timers")
