"""Alerting's tables."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

metadata = sa.MetaData()

alerts = sa.Table(
    "alerts", metadata,
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
    "alert_log", metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("alert_id", pg.UUID(as_uuid=True), nullable=False, index=True),
    sa.Column("step", sa.Text, nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("reason", sa.Text),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("event_id", pg.UUID(as_uuid=True)),
)
