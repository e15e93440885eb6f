"""Supervision's tables (SQLAlchemy Core)."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

metadata = sa.MetaData()

cases = sa.Table(
    "cases", metadata,
    sa.Column("case_id", pg.UUID(as_uuid=True), primary_key=True),
    sa.Column("person_id", pg.UUID(as_uuid=True), nullable=False, index=True),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("jurisdiction", sa.Text, nullable=False),
    sa.Column("source_ref", sa.Text, nullable=False, unique=True),  # order/notice number: one case per document
    sa.Column("sentence_kind", sa.Text),
    sa.Column("offence_category", sa.Text),
    sa.Column("term_start", sa.Date),
    sa.Column("term_end", sa.Date),
    sa.Column("electronic_monitoring", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("permitted_area", pg.JSONB),  # null: the county
    sa.Column("exclusion_zones", pg.JSONB, nullable=False, server_default="[]"),
    sa.Column("person_masked", pg.JSONB, nullable=False),
    sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

zone_state = sa.Table(
    "zone_state", metadata,
    sa.Column("person_id", pg.UUID(as_uuid=True), primary_key=True),
    sa.Column("outside_episode", pg.UUID(as_uuid=True)),
    sa.Column("last_fix_at", sa.DateTime(timezone=True)),
    sa.Column("last_outside", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("tampered", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("in_zones", pg.ARRAY(sa.Text), nullable=False, server_default="{}"),
)

timeline = sa.Table(
    "timeline", metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("person_id", pg.UUID(as_uuid=True), nullable=False, index=True),
    sa.Column("event_id", pg.UUID(as_uuid=True), nullable=False),
    sa.Column("event_type", sa.Text, nullable=False),
    sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("summary", pg.JSONB, nullable=False),
)

leaves = sa.Table(
    "leaves", metadata,
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

sanctions = sa.Table(
    "sanctions", metadata,
    sa.Column("sanction_id", pg.UUID(as_uuid=True), primary_key=True),
    sa.Column("person_id", pg.UUID(as_uuid=True), nullable=False, index=True),
    sa.Column("case_id", pg.UUID(as_uuid=True), nullable=False),
    sa.Column("kind", sa.Text, nullable=False),            # admonition 训诫 | warning 警告 | revocation_proposal
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("recorded_by", sa.Text, nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)
