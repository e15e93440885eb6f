"""Hash-chained audit (append-only), idempotency keys, outbound records for agencies.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit",
        sa.Column("seq", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("person_id", pg.UUID(as_uuid=True), index=True),
        sa.Column("content", pg.JSONB, nullable=False),
        sa.Column("prev_hash", sa.Text, nullable=False),
        sa.Column("hash", sa.Text, nullable=False),
    )
    op.execute("""
        CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'audit is append-only: % refused', TG_OP; END $$;
    """)
    op.execute(
        "CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()"
    )
    op.create_table(
        "idempotency",
        sa.Column("client_id", sa.Text, primary_key=True),
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("request_hash", sa.Text, nullable=False),
        sa.Column("status", sa.Integer, nullable=False),
        sa.Column("body", pg.JSONB, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "outbound",
        sa.Column("seq", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("event_id", pg.UUID(as_uuid=True), nullable=False, unique=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("organisation", sa.Text),
        sa.Column("person_id", pg.UUID(as_uuid=True), nullable=False),
        sa.Column("data", pg.JSONB, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("outbound_kind_seq", "outbound", ["kind", "seq"])


def downgrade() -> None:
    op.drop_table("outbound")
    op.drop_table("idempotency")
    op.execute("DROP TRIGGER audit_append_only ON audit")
    op.execute("DROP FUNCTION audit_append_only()")
    op.drop_table("audit")
