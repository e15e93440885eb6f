"""The provider's subject (`sub`) an account signed in with first: later sign-ins must carry the
same one, so a provider account that takes another's `preferred_username` gets no session
(docs/security.md, L5).

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
    op.add_column("staff_accounts", sa.Column("oidc_subject", sa.Text))


def downgrade() -> None:
    op.drop_column("staff_accounts", "oidc_subject")
