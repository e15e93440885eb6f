"""Alerting's tables."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

metadata = sa.MetaData()

alerts = sa.Table(
    "alerts",
    metadata,
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
    sa.Column("data", pg.JSONB, nullable=False),  # the last published alerts.v1 data
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

# Every step of every alert: who, when, why (the incident log).
alert_log = sa.Table(
    "alert_log",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("alert_id", pg.UUID(as_uuid=True), nullable=False, index=True),
    sa.Column("step", sa.Text, nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("reason", sa.Text),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("event_id", pg.UUID(as_uuid=True)),
)

silences = sa.Table(
    "silences",
    metadata,
    sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
    sa.Column("person_id", pg.UUID(as_uuid=True), nullable=False),
    sa.Column("rule_id", sa.Text, nullable=False),
    sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("created_by", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

# One row per (alert change, channel, target): delivered with retries, dead after max attempts.
notifications = sa.Table(
    "notifications",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("alert_id", pg.UUID(as_uuid=True), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("channel", sa.Text, nullable=False),
    sa.Column("target", sa.Text, nullable=False),
    sa.Column("payload", pg.JSONB, nullable=False),
    sa.Column("status", sa.Text, nullable=False, server_default="pending"),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("last_error", sa.Text),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("sent_at", sa.DateTime(timezone=True)),
    sa.UniqueConstraint("alert_id", "version", "channel", "target"),
)

# Declared as migration 0002 made them (tests/integration/test_schema.py holds the two together).
sa.Index("alerts_person_raised", alerts.c.person_id, alerts.c.raised_at)
sa.Index("silences_person_rule", silences.c.person_id, silences.c.rule_id)
sa.Index("notifications_due", notifications.c.next_attempt_at, postgresql_where=sa.text("status = 'pending'"))
