"""A professional override carried to later assessments names the assessment it was made on, so
the quality report counts each decision once (docs/domain.md, "Risk overrides").

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("assessments", sa.Column("override_carried_from", pg.UUID(as_uuid=True)))


def downgrade() -> None:
    op.drop_column("assessments", "override_carried_from")
