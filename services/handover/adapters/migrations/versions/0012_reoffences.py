"""Re-offences recorded by the office (重新犯罪, docs/indicators.md): a later judgment of any kind,
a prison sentence too, beside the court's community-corrections orders.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # the court's own orders are community corrections; an office's record names the sentence
    op.add_column("new_orders", sa.Column("sentence", sa.Text, nullable=False, server_default="community_corrections"))
    op.add_column("new_orders", sa.Column("recorded_by", sa.Text))


def downgrade() -> None:
    op.drop_column("new_orders", "recorded_by")
    op.drop_column("new_orders", "sentence")
