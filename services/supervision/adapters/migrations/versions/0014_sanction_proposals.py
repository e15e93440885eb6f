"""A sanction proposed by a justice office for the county bureau to decide (docs/domain.md §1:
警告 and 提请撤销 are the county's): pending, then approved (the sanction it became) or refused.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sanction_proposals",
        sa.Column("proposal_id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("person_id", pg.UUID(as_uuid=True), nullable=False, index=True),
        sa.Column("case_id", pg.UUID(as_uuid=True), nullable=False, index=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("proposed_by", sa.Text, nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decision", sa.Text),  # approved | refused; none while pending
        sa.Column("decided_by", sa.Text),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
        sa.Column("note", sa.Text),
        sa.Column("sanction_id", pg.UUID(as_uuid=True)),  # the sanction an approval recorded
    )


def downgrade() -> None:
    op.drop_table("sanction_proposals")
