"""Outbox and inbox.

Revision ID: 0001
"""

from alembic import op

from shared.db import frozen

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    frozen.run(op, frozen.PLUMBING_V1)


def downgrade() -> None:
    frozen.run(op, frozen.PLUMBING_V1_DROP)
