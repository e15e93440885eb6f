"""Levels, positions and tracks, electronic positioning, aftercare follow-ups, trips, teams and
the monthly key-person lists.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

UUID = pg.UUID(as_uuid=True)
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("cases", sa.Column("level", sa.Text))
    op.add_column("cases", sa.Column("risk_level", sa.Text))
    op.add_column("cases", sa.Column("community_rehabilitation", sa.Boolean, nullable=False, server_default=sa.false()))
    for name in ("lon", "lat", "accuracy_m"):
        op.add_column("zone_state", sa.Column(name, sa.Float))
    op.create_table(
        "track_points",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("person_id", UUID, nullable=False),
        sa.Column("recorded_at", TS, nullable=False),
        sa.Column("lon", sa.Float, nullable=False),
        sa.Column("lat", sa.Float, nullable=False),
        sa.Column("accuracy_m", sa.Float, nullable=False),
        sa.Column("outside", sa.Boolean, nullable=False),
    )
    op.create_index("ix_track_person_time", "track_points", ["person_id", "recorded_at"])
    op.create_table(
        "positioning_orders",
        sa.Column("positioning_id", UUID, primary_key=True),
        sa.Column("person_id", UUID, nullable=False, index=True),
        sa.Column("case_id", UUID, nullable=False),
        sa.Column("ground", sa.Text, nullable=False),
        sa.Column("approved_by", sa.Text, nullable=False),
        sa.Column("device_id", sa.Text, nullable=False),
        sa.Column("starts_on", sa.Date, nullable=False),
        sa.Column("ends_on", sa.Date, nullable=False),
        sa.Column("renewals", pg.JSONB, nullable=False, server_default="[]"),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "followups",
        sa.Column("followup_id", UUID, primary_key=True),
        sa.Column("person_id", UUID, nullable=False, index=True),
        sa.Column("case_id", UUID, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("drug_test", sa.Text, nullable=False),
        sa.Column("police_record", sa.Boolean, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("recorded_by", sa.Text, nullable=False),
    )
    op.create_table(
        "trips",
        sa.Column("trip_id", UUID, primary_key=True),
        sa.Column("person_id", UUID, nullable=False, index=True),
        sa.Column("case_id", UUID, nullable=False),
        sa.Column("leaves_on", sa.Date, nullable=False),
        sa.Column("returns_on", sa.Date, nullable=False),
        sa.Column("destination", sa.Text, nullable=False),
        sa.Column("reported", sa.Boolean, nullable=False),
        sa.Column("recorded_by", sa.Text, nullable=False),
    )
    op.create_table(
        "team_members",
        sa.Column("case_id", UUID, nullable=False, index=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("sex", sa.Text, nullable=False),
    )
    op.create_table(
        "key_person_lists",
        sa.Column("office", sa.Text, primary_key=True),
        sa.Column("month", sa.Text, primary_key=True),
        sa.Column("confirmed_by", sa.Text, nullable=False),
        sa.Column("confirmed_at", TS, nullable=False),
        sa.Column("persons", pg.JSONB, nullable=False),
    )


def downgrade() -> None:
    for table in ("key_person_lists", "team_members", "trips", "followups", "positioning_orders", "track_points"):
        op.drop_table(table)
    for name in ("accuracy_m", "lat", "lon"):
        op.drop_column("zone_state", name)
    for name in ("community_rehabilitation", "risk_level", "level"):
        op.drop_column("cases", name)
