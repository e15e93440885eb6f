"""The tables every service has: the transactional outbox and the inbox.

The code's view of them. The migrations create them from frozen DDL (shared/db/frozen.py); a
later change is a new migration in every service, like any schema change.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

metadata = sa.MetaData()

outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("event_id", pg.UUID(as_uuid=True), nullable=False, unique=True),
    sa.Column("topic", sa.Text, nullable=False),
    sa.Column("key", sa.Text),
    sa.Column("value", sa.LargeBinary, nullable=False),
    sa.Column("headers", pg.JSONB, nullable=False, server_default="[]"),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("sent_at", sa.DateTime(timezone=True)),
)

inbox = sa.Table(
    "inbox",
    metadata,
    sa.Column("event_id", pg.UUID(as_uuid=True), primary_key=True),
    sa.Column("topic", sa.Text, nullable=False),
    sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)


sa.Index("outbox_unsent", outbox.c.id, postgresql_where=outbox.c.sent_at.is_(None))
