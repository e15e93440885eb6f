"""Reminders of family video visits (docs/domain.md §2): who reminded the family, and when.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("visit_bookings", sa.Column("reminded_by", sa.Text))
    op.add_column("visit_bookings", sa.Column("reminded_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    op.drop_column("visit_bookings", "reminded_at")
    op.drop_column("visit_bookings", "reminded_by")
