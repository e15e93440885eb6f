"""The command centre's projection of alerts.v1 and its change log (the live feed's source)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

metadata = sa.MetaData()

alert_view = sa.Table(
    "alert_view",
    metadata,
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

# Append-only; `seq` is the SSE event id. Writers take a transaction lock so seq order is commit order.
alert_changes = sa.Table(
    "alert_changes",
    metadata,
    sa.Column("seq", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("alert_id", pg.UUID(as_uuid=True), nullable=False),
    sa.Column("event_type", sa.Text, nullable=False),
    sa.Column("jurisdiction", sa.Text, nullable=False),
    sa.Column("data", pg.JSONB, nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

# Staff accounts (contract §6.4): managed with `python -m services.command_centre.accounts`.
staff_accounts = sa.Table(
    "staff_accounts",
    metadata,
    sa.Column("username", sa.Text, primary_key=True),
    sa.Column("role", sa.Text, nullable=False),
    sa.Column("office", sa.Text, nullable=False),  # a justice office, or "county"
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    # The bureau's provider's `sub` this account first signed in with (L5): later ones must match.
    sa.Column("oidc_subject", sa.Text),
)

# One row per sign-in: a token names its session, so logging out, disabling the account or
# resetting its password ends it at once.
staff_sessions = sa.Table(
    "staff_sessions",
    metadata,
    sa.Column("session_id", pg.UUID(as_uuid=True), primary_key=True),
    sa.Column("username", sa.Text, nullable=False, index=True),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True)),
    # When its member of staff last used it (a renewal without use does not count): L8's idle end.
    sa.Column("last_active", sa.DateTime(timezone=True)),
)

month_figures = sa.Table(
    "month_figures",
    metadata,  # a month's statistics, kept once final (as migration 0005; docs/indicators.md)
    sa.Column("month", sa.Text, primary_key=True),
    sa.Column("figures", pg.JSONB, nullable=False),
    sa.Column("kept_at", sa.DateTime(timezone=True), nullable=False),
)
