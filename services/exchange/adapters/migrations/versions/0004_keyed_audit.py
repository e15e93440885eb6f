"""The keyed audit chain: the entries so far re-chained with SPS_AUDIT_KEY (HMAC-SHA256, a key
the database does not hold), and signed checkpoints of the chain's head (docs/security.md, M2).

The service sets the key before it migrates (services/exchange/main.py); the append-only trigger
is lifted for the re-chaining only, in this one transaction.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

from services.exchange.adapters import audit
from services.exchange.domain.audit import GENESIS, entry_hash

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_checkpoints",
        sa.Column("seq", sa.BigInteger, primary_key=True),
        sa.Column("hash", sa.Text, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("signature", sa.Text, nullable=False),
    )
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT seq, content FROM audit ORDER BY seq")).all()
    if not rows:
        return
    key = audit.key()
    op.execute("ALTER TABLE audit DISABLE TRIGGER audit_append_only")
    previous = GENESIS
    for seq, content in rows:
        digest = entry_hash(previous, content, key)
        bind.execute(
            sa.text("UPDATE audit SET prev_hash = :prev, hash = :hash WHERE seq = :seq"),
            {"prev": previous, "hash": digest, "seq": seq},
        )
        previous = digest
    op.execute("ALTER TABLE audit ENABLE TRIGGER audit_append_only")


def downgrade() -> None:
    op.drop_table("audit_checkpoints")
