"""解矫宣告 (docs/domain.md §1, "The end of a case"): when and where the office announced the end
of a community-correction term, and who did; one per case.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ending_announcements",
        sa.Column("case_id", pg.UUID(as_uuid=True), sa.ForeignKey("cases.case_id"), primary_key=True),
        sa.Column("person_id", pg.UUID(as_uuid=True), nullable=False, index=True),
        sa.Column("announced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("place", sa.Text, nullable=False),
        sa.Column("announced_by", sa.Text, nullable=False),
        sa.Column("note", sa.Text),
    )


def downgrade() -> None:
    op.drop_table("ending_announcements")
