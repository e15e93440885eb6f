"""Risk's tables: the facts known of each person, and every assessment ever made (never overwritten)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

metadata = sa.MetaData()

profiles = sa.Table(
    "profiles",
    metadata,
    sa.Column("person_id", pg.UUID(as_uuid=True), primary_key=True),
    sa.Column("facts", pg.JSONB, nullable=False),
    sa.Column("jurisdiction", sa.Text),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    # Set when the person's last open case closed: out of the monthly cycle, no reassessment deadline.
    sa.Column("closed_at", sa.DateTime(timezone=True)),
    sa.Column("open_cases", pg.ARRAY(pg.UUID(as_uuid=True)), nullable=False, server_default="{}"),
)

assessments = sa.Table(
    "assessments",
    metadata,
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
    # The assessment the override was made on, when it was carried here (docs/domain.md, "Risk overrides").
    sa.Column("override_carried_from", pg.UUID(as_uuid=True)),
    sa.Column("jurisdiction", sa.Text),
    sa.Column("offence_category", sa.Text),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)
