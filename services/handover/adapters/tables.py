"""Handover's tables."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

metadata = sa.MetaData()

handovers = sa.Table(
    "handovers",
    metadata,
    sa.Column("handover_id", pg.UUID(as_uuid=True), primary_key=True),
    sa.Column("person_id", pg.UUID(as_uuid=True), nullable=False, index=True),
    sa.Column("kind", sa.Text, nullable=False),  # release | rehab
    sa.Column("notice_no", sa.Text, nullable=False),
    sa.Column("source", sa.Text, nullable=False),  # the prison or the centre
    sa.Column("release_date", sa.Date, nullable=False),
    sa.Column("destination_town", sa.Text, nullable=False),
    sa.Column("person_masked", pg.JSONB, nullable=False),
    sa.Column("linked", sa.Boolean, nullable=False),
    sa.Column("justice_office", sa.Text),
    sa.Column("unlinked_reason", sa.Text),
    sa.Column("key_person", sa.Boolean, nullable=False),
    sa.Column("key_reasons", pg.JSONB, nullable=False),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("duplicates", sa.Integer, nullable=False, server_default="0"),
    sa.Column("receipt_at", sa.DateTime(timezone=True)),
    sa.Column("police_handover_at", sa.DateTime(timezone=True)),
    sa.Column("police_ack_at", sa.DateTime(timezone=True)),
    sa.Column("police_ack_by", sa.Text),
    sa.Column("pickup_plan", pg.JSONB),
    sa.Column("pickup_outcome", sa.Text),
    sa.Column("released_at", sa.DateTime(timezone=True)),
    sa.Column("arrived_at", sa.DateTime(timezone=True)),
    sa.Column("agreement", pg.JSONB),
    sa.Column("assistance", pg.JSONB, nullable=False, server_default="[]"),
    # 社区康复: the person must report within a window of the order (docs/domain.md §3)
    sa.Column("community_rehabilitation", sa.Boolean, nullable=False, server_default=sa.false()),
    # 信息核查: a member of staff verified the notice's information (who, when, with what result)
    sa.Column("verified_at", sa.DateTime(timezone=True)),
    sa.Column("verified_by", sa.Text),
    sa.Column("verification", pg.JSONB),
    # Resettlement services after release: placements (安置) and employment services (就业服务)
    sa.Column("services", pg.JSONB, nullable=False, server_default="[]"),
    sa.Column("supplement", pg.JSONB),  # 信息补录 after arrival
    sa.Column("applied_at", sa.DateTime(timezone=True)),  # 自愿申请帮教: the person applied themselves
)

# A new court order for a person released before (重新犯罪), for the re-offending rates.
new_orders = sa.Table(
    "new_orders",
    metadata,
    sa.Column("source_ref", sa.Text, primary_key=True),
    sa.Column("person_id", pg.UUID(as_uuid=True), nullable=False, index=True),
    sa.Column("effective_on", sa.Date, nullable=False),
    sa.Column("sentence", sa.Text, nullable=False, server_default="community_corrections"),  # as migration 0012
    sa.Column("recorded_by", sa.Text),  # the office's member of staff; none for a court's own order
)

sa.Index("handovers_office_release", handovers.c.justice_office, handovers.c.release_date)  # as migration 0002

visit_slots = sa.Table(
    "visit_slots",
    metadata,  # 远程亲情视频会见: a prison's offered time with a prisoner
    sa.Column("slot_id", pg.UUID(as_uuid=True), primary_key=True),
    sa.Column("slot_no", sa.Text, nullable=False),
    sa.Column("prison", sa.Text, nullable=False),
    sa.Column("person_id", pg.UUID(as_uuid=True), nullable=False),
    sa.Column("start", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("minutes", sa.Integer, nullable=False),
    sa.Column("offered_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("booking_id", pg.UUID(as_uuid=True)),
)

visit_bookings = sa.Table(
    "visit_bookings",
    metadata,  # a justice office's booking of a slot for a family, in its own video room
    sa.Column("booking_id", pg.UUID(as_uuid=True), primary_key=True),
    sa.Column("slot_id", pg.UUID(as_uuid=True), nullable=False, index=True),
    sa.Column("prison", sa.Text, nullable=False),
    sa.Column("person_id", pg.UUID(as_uuid=True), nullable=False),
    sa.Column("office", sa.Text, nullable=False, index=True),
    sa.Column("family", pg.JSONB, nullable=False),
    sa.Column("start", sa.DateTime(timezone=True), nullable=False),
    sa.Column("minutes", sa.Integer, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("booked_by", sa.Text, nullable=False),
    sa.Column("booked_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("answered_at", sa.DateTime(timezone=True)),
    sa.Column("answer_note", sa.Text),
    sa.Column("cancelled_by", sa.Text),
    sa.Column("cancelled_at", sa.DateTime(timezone=True)),
    sa.Column("cancel_reason", sa.Text),
    sa.Column("recorded_by", sa.Text),
    sa.Column("recorded_at", sa.DateTime(timezone=True)),
    sa.Column("note", sa.Text),
    sa.Column("reminded_by", sa.Text),
    sa.Column("reminded_at", sa.DateTime(timezone=True)),
)

prison_visits = sa.Table(
    "prison_visits",
    metadata,  # 延伸帮教: a visit to a prison before release, with the persons it saw
    sa.Column("visit_id", pg.UUID(as_uuid=True), primary_key=True),
    sa.Column("prison", sa.Text, nullable=False, index=True),
    sa.Column("visited_on", sa.Date, nullable=False),
    sa.Column("office", sa.Text, nullable=False),
    sa.Column("persons_seen", pg.JSONB, nullable=False),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("recorded_by", sa.Text, nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
)

resettlement_bases = sa.Table(
    "resettlement_bases",
    metadata,  # 安置基地: where released persons are placed, with how many places
    sa.Column("base_id", pg.UUID(as_uuid=True), primary_key=True),
    sa.Column("office", sa.Text, nullable=False, index=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("places", sa.Integer, nullable=False),
    sa.Column("registered_by", sa.Text, nullable=False),
    sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
)
