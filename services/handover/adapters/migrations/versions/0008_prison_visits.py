"""Pre-release work in the prisons (延伸帮教, docs/domain.md §2): each visit with whom it saw.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "prison_visits",
        sa.Column("visit_id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("prison", sa.Text, nullable=False, index=True),
        sa.Column("visited_on", sa.Date, nullable=False),
        sa.Column("office", sa.Text, nullable=False),  # the visitor's office (county for the bureau)
        sa.Column("persons_seen", pg.JSONB, nullable=False),  # the handovers of those seen
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("recorded_by", sa.Text, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("prison_visits")
