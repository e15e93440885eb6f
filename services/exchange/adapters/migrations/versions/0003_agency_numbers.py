"""An agency's own numbers (orders, notices), taken once per issuer (docs/domain.md §6).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agency_numbers",
        sa.Column("kind", sa.Text, primary_key=True),
        sa.Column("issuer", sa.Text, primary_key=True),
        sa.Column("number", sa.Text, primary_key=True),
        sa.Column("content_hash", sa.Text, nullable=False),
        sa.Column("person_id", pg.UUID(as_uuid=True), nullable=False),
        sa.Column("answer", pg.JSONB, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )


def downgrade() -> None:
    op.drop_table("agency_numbers")
