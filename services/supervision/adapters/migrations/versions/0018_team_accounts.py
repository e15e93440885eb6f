"""协矫通 (docs/domain.md §1): a member of a correction team may hold a platform account, which then
sees that person (and only the persons whose teams name it).

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("team_members", sa.Column("account", sa.Text, nullable=True))
    op.create_index("team_members_account", "team_members", ["account"])


def downgrade() -> None:
    op.drop_index("team_members_account", table_name="team_members")
    op.drop_column("team_members", "account")
