"""Handover's handlers: notices in, receipts and police handovers out, deadlines, staff steps."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from services.handover.adapters.store import HandoverStore
from services.handover.domain.classify import (
    KEY_REASONS,
    arrival_due,
    key_reasons,
    pickup_plan_due,
    receipt_due,
    verify_destination,
)
from services.handover.domain.policy import HandoverPolicy
from services.handover.domain.steps import StepRefused, case_years, check_arrival, late_notice
from services.handover.resettlement import Resettlement
from services.handover.visits import Visits
from shared.authority import Actor
from shared.county import County, default_county
from shared.db.uow import UnitOfWork
from shared.envelope import IncomingEvent
from shared.events import (
    ArrivalRegistered,
    AssistanceOutcome,
    AssistanceRequested,
    CourtOrderIngested,
    HandoverOpened,
    MaskedPerson,
    PickupUnplanned,
    PoliceAcknowledged,
    PoliceHandoverIssued,
    ReceiptIssued,
    ReceiptOverdue,
    RehabArrivalMissed,
    RehabNoticeIngested,
    ReleaseIntakeMissed,
    ReleaseNoticeIngested,
)
from shared.ids import court_order_ref, handover_id_for
from shared.kafka.consumer import Handler
from shared.timers import Timer, TimerHandler


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class HandoverHandlers(Visits, Resettlement):
    policy: HandoverPolicy
    offices: set[str]
    clock: Callable[[], datetime] = _now
    county: County = field(default_factory=default_county)  # days and working days
    # The adapter the handlers persist through; tests give an in-memory one.
    store: Callable[[UnitOfWork], HandoverStore] = field(default=HandoverStore)

    def table(self) -> dict[str, Handler]:
        return {
            "sps.ingest.release-notice": self.on_release_notice,
            "sps.ingest.rehab-notice": self.on_rehab_notice,
            "sps.ingest.police-ack": self.on_police_ack,
            "sps.ingest.assistance-outcome": self.on_assistance_outcome,
            "sps.ingest.visit-slot": self.on_visit_slot,
            "sps.ingest.visit-answer": self.on_visit_answer,
            "sps.ingest.court-order": self.on_court_order,
        }

    async def on_police_ack(self, event: IncomingEvent, ack: PoliceAcknowledged, uow: UnitOfWork) -> None:
        await self.store(uow).police_acknowledged(ack.handover_id, ack.acknowledged_at, ack.police_unit)

    async def on_assistance_outcome(self, event: IncomingEvent, outcome: AssistanceOutcome, uow: UnitOfWork) -> None:
        """Civil affairs decided a request: on the handover's request (the person's handover tab)
        and in 救助帮扶率. A repeat changes nothing. A request this service never made is a help
        request supervision passed on (the gateway answers only requests it sent): supervision's."""
        decision = outcome.model_dump(mode="json", exclude={"request_id", "person_id"})
        await self.store(uow).decide_assistance(outcome.person_id, str(outcome.request_id), decision)

    def timer_handlers(self) -> dict[str, TimerHandler]:
        return {
            "handover.receipt": self.on_receipt_due,
            "handover.pickup": self.on_pickup_due,
            "handover.arrival": self.on_arrival_due,
        }

    # --- notices ---------------------------------------------------------------------------------

    async def on_release_notice(self, event: IncomingEvent, notice: ReleaseNoticeIngested, uow: UnitOfWork) -> None:
        await self._open(
            uow,
            event,
            "release",
            notice.prison,
            notice.notice_no,
            notice.person_id,
            notice.person,
            notice.release_date,
            notice.destination_town,
            key_reasons(notice),
        )

    async def on_rehab_notice(self, event: IncomingEvent, notice: RehabNoticeIngested, uow: UnitOfWork) -> None:
        await self._open(
            uow,
            event,
            "rehab",
            notice.centre,
            notice.notice_no,
            notice.person_id,
            notice.person,
            notice.release_date,
            notice.destination_town,
            ["announced_key_person"] if notice.key_person else [],
            community_rehabilitation=notice.community_rehabilitation,
        )

    async def _open(
        self,
        uow: UnitOfWork,
        event: IncomingEvent,
        kind: str,
        source: str,
        notice_no: str,
        person_id: uuid.UUID,
        person: MaskedPerson,
        release_date,
        town: str,
        reasons: list[str],
        *,
        community_rehabilitation: bool = False,
    ) -> None:
        handover_id = handover_id_for(kind, source, notice_no)
        check = verify_destination(town, self.offices)
        now = self.clock()
        store = self.store(uow)
        inserted = await store.open(
            handover_id=handover_id,
            person_id=person_id,
            kind=kind,
            notice_no=notice_no,
            source=source,
            release_date=release_date,
            destination_town=town,
            person_masked=person.model_dump(mode="json"),
            linked=check.linked,
            justice_office=check.justice_office,
            unlinked_reason=check.reason,
            key_person=bool(reasons),
            key_reasons=reasons,
            received_at=now,
            community_rehabilitation=community_rehabilitation,
        )
        if not inserted:
            return  # the same notice again: merged into the first
        opened = HandoverOpened(
            handover_id=handover_id,
            person_id=person_id,
            kind=kind,
            notice_no=notice_no,
            source=source,
            release_date=release_date,
            destination_town=town,
            linked=check.linked,
            justice_office=check.justice_office,
            unlinked_reason=check.reason,
            key_person=bool(reasons),
            key_reasons=reasons,
        )  # type: ignore[arg-type]
        uow.publish(opened, subject=person_id, cause=event)
        if kind == "release":
            # 回执 follows 核查 (docs/indicators.md): the office verifies, then the prison hears back;
            # until then the receipt's deadline runs (receipt_overdue).
            await store.schedule(
                f"receipt:{handover_id}",
                "handover.receipt",
                receipt_due(now, self.policy, self.county),
                {"handover_id": str(handover_id)},
            )
        if check.linked:
            await self._linked(uow, handover_id, event)

    async def _linked(self, uow: UnitOfWork, handover_id: uuid.UUID, cause: IncomingEvent | None) -> None:
        """A notice linked to an office, at once or later by the county: a key releasee goes to the
        police with a pick-up plan due; a key person and everyone ordered to 社区康复 owe an arrival."""
        row = await self._lock(uow, handover_id)
        store, hid = self.store(uow), str(handover_id)
        if row["key_person"] and row["kind"] == "release":
            await self._police_handover(uow, handover_id, cause)
            await store.schedule(
                f"pickup:{hid}",
                "handover.pickup",
                pickup_plan_due(row["release_date"], self.policy, self.county),
                {"handover_id": hid},
            )
        rehab = row["kind"] == "rehab" and row["community_rehabilitation"]  # 社区康复: everyone, key or not
        if row["arrived_at"] is None and (row["key_person"] or rehab):
            await store.schedule(
                f"arrival:{hid}",
                "handover.arrival",
                arrival_due(row["release_date"], self.policy, self.county, rehab),
                {"handover_id": hid},
            )

    async def _receipt(self, uow: UnitOfWork, handover_id: uuid.UUID, cause: IncomingEvent | None) -> None:
        row = await self._lock(uow, handover_id)
        if row["receipt_at"] is not None:
            return
        now = self.clock()
        await self.store(uow).set(handover_id, receipt_at=now)
        receipt = ReceiptIssued(
            notice_no=row["notice_no"],
            prison=row["source"],
            person_id=row["person_id"],
            status="linked" if row["linked"] else "unlinked",
            justice_office=row["justice_office"],
            reason=row["unlinked_reason"],
            issued_at=now,
            **late_notice(row["received_at"], row["release_date"], self.county, self.policy.notice.lead_months),
        )
        uow.publish(receipt, subject=row["person_id"], cause=cause)
        await self.store(uow).cancel(f"receipt:{handover_id}")

    async def _police_handover(self, uow: UnitOfWork, handover_id: uuid.UUID, cause: IncomingEvent | None) -> None:
        row = await self._lock(uow, handover_id)
        if row["police_handover_at"] is not None:
            return
        now = self.clock()
        await self.store(uow).set(handover_id, police_handover_at=now)
        notice = PoliceHandoverIssued(
            handover_id=handover_id,
            person_id=row["person_id"],
            person=MaskedPerson(**row["person_masked"]),
            reasons=row["key_reasons"],
            release_date=row["release_date"],
            destination_town=row["destination_town"],
            issued_at=now,
        )
        uow.publish(notice, subject=row["person_id"], cause=cause)

    # --- deadlines ---------------------------------------------------------------------------------

    async def on_receipt_due(self, timer: Timer, uow: UnitOfWork) -> None:
        row = await self._lock(uow, uuid.UUID(timer.payload["handover_id"]))
        if row["receipt_at"] is None:
            await self._signal(uow, ReceiptOverdue, row, timer, notice_no=row["notice_no"])

    async def on_pickup_due(self, timer: Timer, uow: UnitOfWork) -> None:
        row = await self._lock(uow, uuid.UUID(timer.payload["handover_id"]))
        if row["pickup_plan"] is None:
            await self._signal(uow, PickupUnplanned, row, timer, release_date=row["release_date"])

    async def on_arrival_due(self, timer: Timer, uow: UnitOfWork) -> None:
        row = await self._lock(uow, uuid.UUID(timer.payload["handover_id"]))
        if row["arrived_at"] is None:
            rehab = row["kind"] == "rehab" and row["community_rehabilitation"]
            await self._signal(uow, RehabArrivalMissed if rehab else ReleaseIntakeMissed, row, timer)

    async def _signal(self, uow: UnitOfWork, model, row, timer: Timer, **extra) -> None:
        # A notice that arrives after its deadline makes the breach observable only on arrival:
        # the alert's own deadlines run from then, not from a moment nobody could have acted in.
        observed = max(timer.due_at, row["received_at"])
        data = model(
            person_id=row["person_id"],
            jurisdiction=row["justice_office"] or "county",
            cause=timer.key,
            observed_at=observed,
            evidence=[str(row["handover_id"])],
            **extra,
        )
        uow.publish(data, subject=row["person_id"])

    # --- staff steps -------------------------------------------------------------------------------

    async def may_take_step(self, uow: UnitOfWork, actor: Actor, handover_id: uuid.UUID) -> None:
        """The handover's own office decides who may take a staff step on it; an unlinked notice (no
        office yet) is the county's to resolve. Raises LookupError when there is no such handover."""
        office = (await self._lock(uow, handover_id))["justice_office"]
        actor.require("handover.step" if office else "handover.resolve", office)

    async def resolve(self, uow: UnitOfWork, handover_id: uuid.UUID, town: str | None, *, county: bool = True) -> None:
        """An unlinked notice: link it to a Jiangyin office, whose 核查 then sends the receipt, or
        confirm it belongs elsewhere, which is the receipt (unlinked) at once. A notice linked to an
        office moves to another only by the county (`county`), as a transfer does: an office cannot
        hand its own to another (docs/security.md, L9)."""
        row = await self._lock(uow, handover_id)
        if row["justice_office"] and town != row["justice_office"] and not county:
            raise StepRefused(
                f"the notice is linked to {row['justice_office']} already: only the county moves it to another office"
            )
        if town is None:
            await self._receipt(uow, handover_id, None)
            return
        check = verify_destination(town, self.offices)
        if not check.linked:
            raise StepRefused(check.reason)
        # the new office's own 核查 sends the receipt: another office's check does not count for it
        await self.store(uow).set(
            handover_id,
            linked=True,
            justice_office=town,
            destination_town=town,
            unlinked_reason=None,
            verified_at=None,
            verified_by=None,
        )
        await self._linked(uow, handover_id, None)

    async def update(self, uow: UnitOfWork, handover_id: uuid.UUID, **values: Any) -> dict[str, Any]:
        """A step that records a value (pick-up plan or outcome, release, arrival, agreement)."""
        store = self.store(uow)
        row = await self._lock(uow, handover_id)
        if "arrived_at" in values:
            check_arrival(already_arrived_at=row["arrived_at"], linked=row["linked"])
        await store.set(handover_id, **values)
        if "pickup_plan" in values:
            await store.cancel(f"pickup:{handover_id}")
        if "arrived_at" in values:
            await store.cancel(f"arrival:{handover_id}")
            arrived = ArrivalRegistered(
                handover_id=handover_id,
                person_id=row["person_id"],
                kind=row["kind"],
                justice_office=row["justice_office"],
                arrived_at=values["arrived_at"],
                release_date=row["release_date"],
                key_person=row["key_person"],
                case_years=case_years(row["kind"], self.policy),
                person=MaskedPerson(**row["person_masked"]),
                community_rehabilitation=row["community_rehabilitation"],
            )
            uow.publish(arrived, subject=row["person_id"])
        return await self._lock(uow, handover_id)

    async def on_court_order(self, event: IncomingEvent, order: CourtOrderIngested, uow: UnitOfWork) -> None:
        """A new court order for someone released before is a re-offence (重新犯罪), counted in the
        re-offending rates (docs/indicators.md); orders for anyone else are not kept here."""
        store = self.store(uow)
        if await store.released_person(order.person_id):
            effective = order.judgment_effective or order.term_start
            await store.add_new_order(court_order_ref(order.court, order.order_no), order.person_id, effective)

    async def verify(self, uow: UnitOfWork, actor: Actor, handover_id: uuid.UUID, result: str, note: str) -> dict:
        """信息核查: a member of the office checked the notice against the person and the household
        register. Confirmed or corrected, the receipt goes to the prison (回执 follows 核查); not the
        office's (`not_ours`), the notice goes back to the county's unlinked list with the office's
        reason, and its receipt waits for the county (docs/indicators.md)."""
        row = await self._lock(uow, handover_id)
        if not row["linked"]:
            raise StepRefused("the notice is on the county's unlinked list: the county links it to an office first")
        if result == "not_ours" and row["arrived_at"] is not None:
            raise StepRefused("the person has registered at the office already: the notice is the office's")
        store, verification = self.store(uow), {"result": result, "note": note}
        await store.set(handover_id, verified_at=self.clock(), verified_by=actor.name, verification=verification)
        if result != "not_ours":
            await self._receipt(uow, handover_id, None)
            return verification
        reason = f"{row['justice_office']}核查：非本辖区（{note}）"
        await store.set(handover_id, linked=False, justice_office=None, unlinked_reason=reason)
        await store.cancel(f"pickup:{handover_id}")
        await store.cancel(f"arrival:{handover_id}")
        return verification

    async def request_assistance(self, uow: UnitOfWork, handover_id: uuid.UUID, kind: str) -> dict:
        row = await self._lock(uow, handover_id)
        request = AssistanceRequested(
            request_id=uuid.uuid4(),
            person_id=row["person_id"],
            person=MaskedPerson(**row["person_masked"]),
            kind=kind,  # type: ignore[arg-type]
            justice_office=row["justice_office"] or "county",
            status="requested",
            requested_at=self.clock(),
        )
        entry = request.model_dump(mode="json")
        await self.store(uow).add_assistance(handover_id, entry)
        uow.publish(request, subject=row["person_id"])
        return entry

    async def _lock(self, uow: UnitOfWork, handover_id: uuid.UUID) -> dict[str, Any]:
        row = await self.store(uow).lock(handover_id)
        if row is None:
            raise LookupError(f"no handover {handover_id}")
        return row


REASON_LABELS = {k: {"zh": zh, "en": en} for k, (zh, en) in KEY_REASONS.items()} | {
    "announced_key_person": {"zh": "戒毒所通报的重点人员", "en": "Announced as key person by the centre"}
}
