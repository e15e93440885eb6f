"""Profiles, assessments, timers.

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
        "profiles",
        sa.Column("person_id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("facts", pg.JSONB, nullable=False),
        sa.Column("jurisdiction", sa.Text),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "assessments",
        sa.Column("assessment_id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("person_id", pg.UUID(as_uuid=True), nullable=False, index=True),
        sa.Column("instrument_version", sa.Text, nullable=False),
        sa.Column("trigger", sa.Text, nullable=False),
        sa.Column("items", pg.JSONB, nullable=False),
        sa.Column("total", sa.Float, nullable=False),
        sa.Column("level_by_points", sa.Text, nullable=False),
        sa.Column("computed_level", sa.Text, nullable=False),
        sa.Column("overrides_applied", pg.JSONB, nullable=False),
        sa.Column("override_level", sa.Text),
        sa.Column("override_reason", sa.Text),
        sa.Column("overridden_by", sa.Text),
        sa.Column("overridden_at", sa.DateTime(timezone=True)),
        sa.Column("jurisdiction", sa.Text),
        sa.Column("offence_category", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )


def downgrade() -> None:
    op.drop_table("assessments")
    op.drop_table("profiles")
    op.drop_table("timers")
