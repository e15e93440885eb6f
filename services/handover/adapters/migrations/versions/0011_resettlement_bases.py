"""Resettlement bases (安置基地, docs/domain.md §2): the places where released persons are placed.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "resettlement_bases",
        sa.Column("base_id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("office", sa.Text, nullable=False, index=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),  # enterprise | farm | workshop | other
        sa.Column("places", sa.Integer, nullable=False),
        sa.Column("registered_by", sa.Text, nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("resettlement_bases")
