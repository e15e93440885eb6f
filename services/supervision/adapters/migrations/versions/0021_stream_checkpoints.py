"""Checkpoints of the live position state: the location partitions' next offsets, written in the
same transaction as the positions and last-fix times they cover (docs/performance.md,
"Supervision as a stream processor"). A replica that takes a partition over restores the persons'
state from `zone_state` and replays the topic from here.

Revision ID: 0021
Revises: 0020
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stream_checkpoints",
        sa.Column("group_id", sa.Text, primary_key=True),
        sa.Column("topic", sa.Text, primary_key=True),
        sa.Column("partition", sa.Integer, primary_key=True),
        sa.Column("next_offset", sa.BigInteger, nullable=False),
        sa.Column("checkpointed_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("stream_checkpoints")
