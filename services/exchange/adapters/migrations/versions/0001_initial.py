"""Identity vault; outbox and inbox.

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

from shared.db import frozen

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    frozen.run(op, frozen.PLUMBING_V1)
    op.create_table(
        "identities",
        sa.Column("person_id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("sealed", sa.LargeBinary, nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_by", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("identities")
    frozen.run(op, frozen.PLUMBING_V1_DROP)
