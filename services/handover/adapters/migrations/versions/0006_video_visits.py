"""Remote family video visits with two-way booking (远程亲情视频会见, docs/domain.md §2): the slots
prisons offer, and the justice offices' bookings of them.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

UUID = pg.UUID(as_uuid=True)
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "visit_slots",
        sa.Column("slot_id", UUID, primary_key=True),
        sa.Column("slot_no", sa.Text, nullable=False),
        sa.Column("prison", sa.Text, nullable=False),
        sa.Column("person_id", UUID, nullable=False),  # the prisoner
        sa.Column("start", TS, nullable=False, index=True),
        sa.Column("minutes", sa.Integer, nullable=False),
        sa.Column("offered_at", TS, nullable=False),
        sa.Column("booking_id", UUID),  # the booking holding it, while one does
    )
    op.create_table(
        "visit_bookings",
        sa.Column("booking_id", UUID, primary_key=True),
        sa.Column("slot_id", UUID, nullable=False, index=True),
        sa.Column("prison", sa.Text, nullable=False),
        sa.Column("person_id", UUID, nullable=False),
        sa.Column("office", sa.Text, nullable=False, index=True),
        sa.Column("family", pg.JSONB, nullable=False),  # masked name and id number, relationship, checked by
        sa.Column("start", TS, nullable=False),
        sa.Column("minutes", sa.Integer, nullable=False),
        # booked | confirmed | declined | cancelled | held | no_show
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("booked_by", sa.Text, nullable=False),
        sa.Column("booked_at", TS, nullable=False),
        sa.Column("answered_at", TS),
        sa.Column("answer_note", sa.Text),
        sa.Column("cancelled_by", sa.Text),
        sa.Column("cancelled_at", TS),
        sa.Column("cancel_reason", sa.Text),
        sa.Column("recorded_by", sa.Text),
        sa.Column("recorded_at", TS),
        sa.Column("note", sa.Text),
    )


def downgrade() -> None:
    op.drop_table("visit_bookings")
    op.drop_table("visit_slots")
