"""Verification by a member of staff, resettlement services, and new orders of released persons
(docs/indicators.md).

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("handovers", sa.Column("verified_at", sa.DateTime(timezone=True)))
    op.add_column("handovers", sa.Column("verified_by", sa.Text))
    op.add_column("handovers", sa.Column("verification", pg.JSONB))
    op.add_column("handovers", sa.Column("services", pg.JSONB, nullable=False, server_default="[]"))
    op.create_table(
        "new_orders",
        sa.Column("source_ref", sa.Text, primary_key=True),
        sa.Column("person_id", pg.UUID(as_uuid=True), nullable=False, index=True),
        sa.Column("effective_on", sa.Date, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("new_orders")
    for name in ("services", "verification", "verified_by", "verified_at"):
        op.drop_column("handovers", name)
