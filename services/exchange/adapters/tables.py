"""The gateway's tables."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

metadata = sa.MetaData()

identities = sa.Table(
    "identities",
    metadata,
    sa.Column("person_id", pg.UUID(as_uuid=True), primary_key=True),
    sa.Column("sealed", sa.LargeBinary, nullable=False),  # AES-GCM: nonce + ciphertext
    sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("updated_by", sa.Text, nullable=False),
    sa.Column("key_version", sa.Integer, nullable=False, server_default="1"),  # the key that sealed it
)

audit = sa.Table(
    "audit",
    metadata,
    sa.Column("seq", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("person_id", pg.UUID(as_uuid=True), index=True),
    sa.Column("content", pg.JSONB, nullable=False),
    sa.Column("prev_hash", sa.Text, nullable=False),
    sa.Column("hash", sa.Text, nullable=False),
)

# Signed heads of the audit chain, also sent to the procuratorate (an anchor outside this database).
audit_checkpoints = sa.Table(
    "audit_checkpoints",
    metadata,
    sa.Column("seq", sa.BigInteger, primary_key=True),
    sa.Column("hash", sa.Text, nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("signature", sa.Text, nullable=False),  # ES256 JWS by the gateway's signing key
)

# A retried POST with the same Idempotency-Key gets the first answer again.
idempotency = sa.Table(
    "idempotency",
    metadata,
    sa.Column("client_id", sa.Text, primary_key=True),
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("request_hash", sa.Text, nullable=False),
    sa.Column("status", sa.Integer, nullable=False),
    sa.Column("body", pg.JSONB, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

# An agency's own number (an order's, a notice's) is taken once per issuer: the same number again
# with the same content is the first answer again; with other content it is refused (409).
agency_numbers = sa.Table(
    "agency_numbers",
    metadata,
    sa.Column("kind", sa.Text, primary_key=True),
    sa.Column("issuer", sa.Text, primary_key=True),
    sa.Column("number", sa.Text, primary_key=True),
    sa.Column("content_hash", sa.Text, nullable=False),
    sa.Column("person_id", pg.UUID(as_uuid=True)),  # none for an office-wide notice
    sa.Column("answer", pg.JSONB, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

# What goes back to agencies (from exchange.outbound.v1), served by GET /v1/receipts and /v1/police/handovers.
outbound = sa.Table(
    "outbound",
    metadata,
    sa.Column("seq", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("event_id", pg.UUID(as_uuid=True), nullable=False, unique=True),
    sa.Column("kind", sa.Text, nullable=False),  # receipt | police-handover
    sa.Column("organisation", sa.Text),  # the prison a receipt is for
    sa.Column("person_id", pg.UUID(as_uuid=True)),  # none for a reply to an office-wide notice
    sa.Column("data", pg.JSONB, nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
)

sa.Index("outbound_kind_seq", outbound.c.kind, outbound.c.seq)  # as migration 0002 made it
