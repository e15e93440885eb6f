"""A month's statistics kept once they are final (docs/indicators.md): a past month answers the
same whenever it is asked, whatever is recorded for it later.

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
    op.create_table(
        "month_figures",
        sa.Column("month", sa.Text, primary_key=True),
        sa.Column("figures", pg.JSONB, nullable=False),
        sa.Column("kept_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("month_figures")
