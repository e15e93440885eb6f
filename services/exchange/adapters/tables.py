"""The gateway's tables."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

metadata = sa.MetaData()

identities = sa.Table(
    "identities", metadata,
    sa.Column("person_id", pg.UUID(as_uuid=True), primary_key=True),
    sa.Column("sealed", sa.LargeBinary, nullable=False),  # AES-GCM: nonce + ciphertext
    sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("updated_by", sa.Text, nullable=False),
)
