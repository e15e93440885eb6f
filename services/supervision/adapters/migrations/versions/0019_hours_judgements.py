"""Each month's judgement of a case's hours, kept (docs/domain.md §1): the hours completion rate per
level (docs/indicators.md) counts what was judged at the month's end, not a level changed since.

Revision ID: 0019
Revises: 0018
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hours_judgements",
        sa.Column("case_id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("month", sa.Text, primary_key=True),
        sa.Column("person_id", pg.UUID(as_uuid=True), nullable=False),
        sa.Column("office", sa.Text, nullable=False),
        sa.Column("level", sa.Text, nullable=False),
        sa.Column("met", sa.Boolean, nullable=False),
        sa.Column("judged_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("hours_judgements_month", "hours_judgements", ["month"])


def downgrade() -> None:
    op.drop_table("hours_judgements")
