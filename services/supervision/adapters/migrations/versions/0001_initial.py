"""Cases, zone state, case-file timeline; outbox and inbox.

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
        "cases",
        sa.Column("case_id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("person_id", pg.UUID(as_uuid=True), nullable=False, index=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("jurisdiction", sa.Text, nullable=False),
        sa.Column("source_ref", sa.Text, nullable=False, unique=True),
        sa.Column("sentence_kind", sa.Text),
        sa.Column("offence_category", sa.Text),
        sa.Column("term_start", sa.Date),
        sa.Column("term_end", sa.Date),
        sa.Column("electronic_monitoring", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("permitted_area", pg.JSONB),
        sa.Column("exclusion_zones", pg.JSONB, nullable=False, server_default="[]"),
        sa.Column("person_masked", pg.JSONB, nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "zone_state",
        sa.Column("person_id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("outside_episode", pg.UUID(as_uuid=True)),
        sa.Column("last_fix_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "timeline",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("person_id", pg.UUID(as_uuid=True), nullable=False, index=True),
        sa.Column("event_id", pg.UUID(as_uuid=True), nullable=False),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("summary", pg.JSONB, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("timeline")
    op.drop_table("zone_state")
    op.drop_table("cases")
    frozen.run(op, frozen.PLUMBING_V1_DROP)
