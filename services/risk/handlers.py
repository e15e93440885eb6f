"""Risk's handlers: facts from orders, notices and supervision; an assessment per trigger.

Each assessment keeps the instrument version, every item's value and points, the total, the
level and its trigger; it is published (`sps.risk.assessed`), and a rise to high raises the
`risk_high` signal. The next reassessment is a durable timer whose interval depends on the level.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from services.risk.adapters.store import RiskStore
from services.risk.domain import facts
from services.risk.domain.instrument import Instrument, Result, score
from shared.authority import Actor
from shared.county import County, default_county
from shared.db.uow import UnitOfWork
from shared.envelope import IncomingEvent
from shared.errors import NotFound
from shared.events import (
    ArrivalRegistered,
    CaseClosed,
    CaseOpened,
    CourtOrderIngested,
    InformationSupplemented,
    ReassessmentOverdue,
    ReleaseNoticeIngested,
    RiskAssessed,
    RiskHigh,
    RiskItem,
    SanctionRecorded,
    Signal,
)
from shared.kafka.consumer import Handler
from shared.timers import Timer, TimerHandler

SERIOUS_BREACHES = (
    "sps.supervision.exclusion-zone-entered",
    "sps.supervision.device-tampered",
    "sps.supervision.contact-lost",
    "sps.supervision.rehab-serious-breach",
)


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class RiskHandlers:
    instrument: Instrument
    clock: Callable[[], datetime] = _now
    county: County = field(default_factory=default_county)  # the monthly cycle's months
    # The adapter the handlers persist through; tests give an in-memory one.
    store: Callable[[UnitOfWork], RiskStore] = field(default=RiskStore)

    def table(self) -> dict[str, Handler]:
        return {
            "sps.ingest.court-order": self.on_court_order,
            "sps.ingest.release-notice": self.on_release_notice,
            "sps.handover.arrived": self.on_arrival,
            "sps.handover.supplemented": self.on_supplement,
            "sps.supervision.sanction-recorded": self.on_sanction,
            "sps.supervision.case-opened": self.on_case_opened,
            "sps.supervision.case-closed": self.on_case_closed,
            **{t: self.on_serious_breach for t in SERIOUS_BREACHES},
        }

    def timer_handlers(self) -> dict[str, TimerHandler]:
        return {"risk.reassess": self.on_reassessment_due, "risk.monthly": self.on_monthly_cycle}

    async def on_monthly_cycle(self, timer: Timer, uow: UnitOfWork) -> None:
        """The monthly cycle: everyone is assessed again, then the next month is scheduled."""
        for person_id in await self.store(uow).persons():
            await self.assess(uow, person_id, f"{MONTHLY}{self.county.month_of(timer.due_at)}", None)
        await schedule_monthly(self.store(uow), self.county, after=timer.due_at)

    # --- facts --------------------------------------------------------------------------------

    async def on_court_order(self, event: IncomingEvent, order: CourtOrderIngested, uow: UnitOfWork) -> None:
        """Intake: the order's facts, then an assessment."""
        await self.store(uow).learn(
            order.person_id, facts.from_court_order(order), order.person.residence_town, opens=True
        )
        await self.assess(uow, order.person_id, "intake", event)

    async def on_release_notice(self, event: IncomingEvent, notice: ReleaseNoticeIngested, uow: UnitOfWork) -> None:
        """Release: the prison's facts, then the dangerousness assessment (危险性评估)."""
        await self.store(uow).learn(
            notice.person_id, facts.from_release_notice(notice), notice.destination_town, opens=True
        )
        await self.assess(uow, notice.person_id, "release", event)

    async def on_arrival(self, event: IncomingEvent, arrived: ArrivalRegistered, uow: UnitOfWork) -> None:
        """Arrival after release: assessed again where the person now lives."""
        await self.store(uow).learn(arrived.person_id, {}, arrived.justice_office, opens=True)
        await self.assess(uow, arrived.person_id, "arrival", event)

    async def on_supplement(self, event: IncomingEvent, supplement: InformationSupplemented, uow: UnitOfWork) -> None:
        """信息补录: the instrument's items the office learned after arrival, then a new assessment
        whose explanation shows them instead of "unknown"."""
        learned = facts.from_supplement(supplement)
        if learned:
            await self.store(uow).learn(supplement.person_id, learned, supplement.justice_office)
        await self.assess(uow, supplement.person_id, "supplement", event)

    async def on_sanction(self, event: IncomingEvent, sanction: SanctionRecorded, uow: UnitOfWork) -> None:
        if learned := facts.from_sanction(sanction.kind, sanction.count):
            await self.store(uow).learn(sanction.person_id, learned, sanction.jurisdiction)
        await self.assess(uow, sanction.person_id, f"sanction:{sanction.kind}", event)

    async def on_serious_breach(self, event: IncomingEvent, signal: Signal, uow: UnitOfWork) -> None:
        store = self.store(uow)
        known, _ = await store.profile(signal.person_id) or ({}, None)
        breaches = int(known.get("serious_breaches", 0)) + 1
        await store.learn(signal.person_id, {"serious_breaches": breaches}, signal.jurisdiction)
        await self.assess(uow, signal.person_id, "serious_breach", event)

    async def on_case_opened(self, event: IncomingEvent, opened: CaseOpened, uow: UnitOfWork) -> None:
        await self.store(uow).case_opened(opened.person_id, opened.case_id)

    async def on_case_closed(self, event: IncomingEvent, closed: CaseClosed, uow: UnitOfWork) -> None:
        """The person's last open case closed: no monthly cycle, no reassessment deadline. A person
        who holds another case (resettlement beside a correction, say) stays followed."""
        await self.store(uow).case_closed(closed.person_id, closed.case_id)

    # --- assessing ------------------------------------------------------------------------------

    async def assess(
        self,
        uow: UnitOfWork,
        person_id: uuid.UUID,
        trigger: str,
        cause: IncomingEvent | None,
        instrument: Instrument | None = None,
    ) -> RiskAssessed | None:
        instrument = instrument or self.instrument
        store = self.store(uow)
        profile = await store.profile(person_id)
        if profile is None:
            return None  # nothing known of this person yet
        known, jurisdiction = profile
        latest = await store.latest_for_update(person_id, instrument.version)
        result = score(instrument, known)
        carried = _carried(self.instrument, latest, result.level, trigger)
        assessment_id = uuid.uuid4()
        await store.add_assessment(
            **carried,
            assessment_id=assessment_id,
            person_id=person_id,
            instrument_version=result.instrument_version,
            trigger=trigger,
            items=[_item(s) for s in result.items],
            total=result.total,
            level_by_points=result.level_by_points,
            computed_level=result.level,
            overrides_applied=list(result.overrides),
            jurisdiction=jurisdiction,
            offence_category=known.get("offence_category"),
        )
        published = self.published(assessment_id, person_id, trigger, result, jurisdiction, instrument, carried)
        if instrument.version == self.instrument.version:  # re-scoring under another version stays internal
            uow.publish(published, subject=person_id, cause=cause)
            previous = (latest["override_level"] or latest["computed_level"]) if latest else None
            await self._after_level(
                uow, assessment_id, person_id, previous, published.level, result.total, jurisdiction, cause
            )
        return published

    async def assess_on_demand(self, uow: UnitOfWork, actor: Actor, person_id: uuid.UUID) -> RiskAssessed:
        """A member of staff asks for an assessment from the facts known now."""
        actor.require("risk.assess")
        assessed = await self.assess(uow, person_id, f"on demand by {actor.name}", None)
        if assessed is None:
            raise NotFound(f"nothing is known of person {person_id}")
        return assessed

    async def _after_level(
        self,
        uow: UnitOfWork,
        assessment_id: uuid.UUID,
        person_id: uuid.UUID,
        previous: str | None,
        level: str,
        total: float | None,
        jurisdiction: str | None,
        cause: IncomingEvent | None,
    ) -> None:
        """A rise to high is the `risk_high` signal; the next reassessment is due by the level."""
        now = self.clock()
        if level == "high" and previous != "high":
            signal = RiskHigh(
                person_id=person_id,
                jurisdiction=jurisdiction or "",
                cause=f"risk-high:{assessment_id}",
                observed_at=now,
                evidence=[str(assessment_id)],
                level=level,
                score=total,
            )
            uow.publish(signal, subject=person_id, cause=cause)
        await self.store(uow).set_reassessment(
            person_id,
            self.reassessment_due(now, level),
            {"person_id": str(person_id), "assessment_id": str(assessment_id), "level": level},
        )

    def reassessment_due(self, assessed_at: datetime, level: str) -> datetime:
        """The level's interval after the assessment, but never before the next monthly cycle has
        had its grace to run: the cycle is the reassessment (a high risk's 30 days end on the 31st
        of a 31-day month, before the cycle on the 1st)."""
        interval = self.instrument.reassessment[level]  # type: ignore[index]
        cycle = self.county.next_month_start(assessed_at) + self.instrument.monthly_cycle_grace
        return max(assessed_at + interval, cycle)

    async def override(
        self, uow: UnitOfWork, actor: Actor, person_id: uuid.UUID, assessment_id: uuid.UUID, level: str, reason: str
    ) -> RiskAssessed:
        """A professional override of one of the person's assessments, with its reason; the computed
        level stays beside it. The assessment must be this person's, in an office the actor sees."""
        store = self.store(uow)
        row = await store.assessment_for_update(assessment_id)
        if row is None or row["person_id"] != person_id:
            raise NotFound(f"no assessment {assessment_id} of person {person_id}")
        actor.require("risk.override", row["jurisdiction"])
        # An assessment made after the one on the officer's screen (an event's, a moment later)
        # carries the decision too, unless it computed above it (docs/domain.md, "Risk overrides").
        later = await store.later_for_update(assessment_id)
        stands = list(
            itertools.takewhile(
                lambda a: self.instrument.carries_override(level, a["computed_level"], monthly=_monthly(a["trigger"])),
                later,
            )
        )
        current = (stands or [row])[-1]
        previous = current["override_level"] or current["computed_level"]
        await store.set_override(assessment_id, level, reason, actor.name)
        for each in stands:
            await store.set_override(each["assessment_id"], level, reason, actor.name, carried_from=assessment_id)
        made = _overridden(row, actor.name, level, reason)
        if len(stands) < len(later):
            return made  # a later rise stands; nothing current changed
        uow.publish(made, subject=row["person_id"])
        for each in stands:
            uow.publish(_overridden(each, actor.name, level, reason), subject=row["person_id"])
        await self._after_level(
            uow,
            current["assessment_id"],
            row["person_id"],
            previous,
            level,
            current["total"],
            row["jurisdiction"],
            None,
        )
        return made

    @staticmethod
    def published(
        assessment_id: uuid.UUID,
        person_id: uuid.UUID,
        trigger: str,
        result: Result,
        jurisdiction: str | None,
        instrument: Instrument,
        carried: dict[str, Any] | None = None,
    ) -> RiskAssessed:
        items = [_item(s) for s in result.items]
        why = instrument.explain(items, result.overrides)  # the instrument that scored it, not the default
        override = (carried or {}).get("override_level")
        return RiskAssessed(
            assessment_id=assessment_id,
            person_id=person_id,
            instrument_version=result.instrument_version,
            trigger=trigger,
            items=[RiskItem(**i) for i in items],
            total=result.total,
            level_by_points=result.level_by_points,
            level=override or result.level,
            override_level=override,
            override_reason=(carried or {}).get("override_reason"),
            explanation_zh=why["zh"],
            explanation_en=why["en"],
            jurisdiction=jurisdiction,
        )

    async def on_reassessment_due(self, timer: Timer, uow: UnitOfWork) -> None:
        """No assessment since the one that set this deadline: the reassessment is overdue."""
        person_id = uuid.UUID(timer.payload["person_id"])
        store = self.store(uow)
        latest = await store.latest_for_update(person_id, self.instrument.version)
        if latest is None or str(latest["assessment_id"]) != timer.payload["assessment_id"]:
            return  # assessed again meanwhile
        profile = await store.profile(person_id)
        signal = ReassessmentOverdue(
            person_id=person_id,
            jurisdiction=(profile[1] if profile else None) or "",
            cause=f"reassess:{timer.payload['assessment_id']}",
            observed_at=timer.due_at,
            evidence=[timer.payload["assessment_id"]],
            level=timer.payload["level"],
            assessment_id=uuid.UUID(timer.payload["assessment_id"]),
        )
        uow.publish(signal, subject=person_id)


def _item(s) -> dict:
    return {"item": s.item, "value": s.value, "points": s.points}


MONTHLY = "monthly:"  # the monthly cycle's trigger, then the county's month


def _monthly(trigger: str) -> bool:
    return trigger.startswith(MONTHLY)


def _carried(instrument: Instrument, latest: Any, computed: str, trigger: str) -> dict[str, Any]:
    """The override columns a new assessment takes from the latest one, when its override stands."""
    if latest is None or not latest["override_level"]:
        return {}
    if not instrument.carries_override(latest["override_level"], computed, monthly=_monthly(trigger)):
        return {}
    return {
        "override_level": latest["override_level"],
        "override_reason": latest["override_reason"],
        "overridden_by": latest["overridden_by"],
        "overridden_at": latest["overridden_at"],
        "override_carried_from": latest["override_carried_from"] or latest["assessment_id"],
    }


def _overridden(row: Any, by: str, level: str, reason: str) -> RiskAssessed:
    """An assessment as published once an override stands on it."""
    return RiskAssessed(
        assessment_id=row["assessment_id"],
        person_id=row["person_id"],
        instrument_version=row["instrument_version"],
        trigger=f"override by {by}",
        items=[RiskItem(**i) for i in row["items"]],
        total=row["total"],
        level_by_points=row["level_by_points"],
        level=level,
        override_level=level,
        override_reason=reason,
        jurisdiction=row["jurisdiction"],
    )  # type: ignore[arg-type]


async def schedule_monthly(store: RiskStore, county: County, after: datetime | None = None) -> None:
    """The next monthly cycle, at the start of the county's next month, once per month key:
    replicas and restarts add nothing."""
    due = county.next_month_start(after or datetime.now(UTC))
    await store.schedule(f"monthly:{county.month_of(due)}", "risk.monthly", due, {})
