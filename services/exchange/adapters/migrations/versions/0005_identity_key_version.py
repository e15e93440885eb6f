"""Each sealed identity keeps the version of the key that sealed it, so the key can be rotated
(docs/security.md). The identities sealed so far are version 1.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("identities", sa.Column("key_version", sa.Integer, nullable=False, server_default="1"))


def downgrade() -> None:
    op.drop_column("identities", "key_version")
