"""The police's acknowledgement of a handover.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("handovers", sa.Column("police_ack_at", sa.DateTime(timezone=True)))
    op.add_column("handovers", sa.Column("police_ack_by", sa.Text))


def downgrade() -> None:
    op.drop_column("handovers", "police_ack_by")
    op.drop_column("handovers", "police_ack_at")
