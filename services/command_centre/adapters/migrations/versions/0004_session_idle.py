"""When a session was last used by its member of staff: a session unused for longer than the
policy's idle time ends (docs/security.md, L8).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("staff_sessions", sa.Column("last_active", sa.DateTime(timezone=True)))


def downgrade() -> None:
    op.drop_column("staff_sessions", "last_active")
