"""Supervision's event handlers: thin — decode is done, domain decides, adapters persist."""
from __future__ import annotations

import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from services.supervision.adapters.cases import CaseDirectory
from services.supervision.adapters.tables import cases, timeline, zone_state
from services.supervision.domain.geo import judge_position
from services.supervision.domain.zones import Exited, ZoneState, on_fix
from shared import topics
from shared.db.uow import UnitOfWork
from shared.envelope import IncomingEvent, new_event
from shared.ids import case_id_for, court_order_ref
from shared.events import CaseOpened, CourtOrderIngested, LocationFix, ZoneExited, ZoneReturned
from shared.kafka.consumer import Handler
from prometheus_client import Counter

SOURCE = "/sps/supervision"
FIXES_WITHOUT_CASE = Counter("sps_supervision_fixes_without_case_total", "Fixes for persons with no active case")


@dataclass
class SupervisionHandlers:
    directory: CaseDirectory

    def table(self) -> dict[str, Handler]:
        return {
            "sps.ingest.court-order": self.on_court_order,
            "sps.ingest.location": self.on_location,
        }

    async def on_court_order(self, event: IncomingEvent, order: CourtOrderIngested, uow: UnitOfWork) -> None:
        """A court's order opens a community-correction case awaiting intake (待报到)."""
        source_ref = court_order_ref(order.order_no)
        case_id = case_id_for(source_ref)
        permitted = None if order.permitted_area == "jiangyin" else order.permitted_area.model_dump(mode="json")
        zones = [z.model_dump(mode="json") for z in order.exclusion_zones]
        inserted = await uow.conn.execute(
            insert(cases).values(
                case_id=case_id, person_id=order.person_id, kind="community_correction", status="awaiting_intake",
                jurisdiction=order.person.residence_town, source_ref=source_ref,
                sentence_kind=order.sentence_kind, offence_category=order.offence_category,
                term_start=order.term_start, term_end=order.term_end,
                electronic_monitoring=order.electronic_monitoring, permitted_area=permitted,
                exclusion_zones=zones, person_masked=order.person.model_dump(mode="json"),
            ).on_conflict_do_nothing(index_elements=["source_ref"]).returning(cases.c.case_id)
        )
        if inserted.scalar() is None:
            return  # the same order sent again: one case
        opened = CaseOpened(case_id=case_id, person_id=order.person_id, kind="community_correction",
                            jurisdiction=order.person.residence_town, order_no=order.order_no)
        out = new_event("sps.supervision.case-opened", SOURCE, opened, subject=str(order.person_id), cause=event)
        uow.emit(topics.SUPERVISION_EVENTS, out)
        await _record(uow, order.person_id, out.id, out.type, event.time, opened.model_dump(mode="json"))
        view = self.directory.build(case_id, order.person_id, order.person.residence_town, permitted, zones)
        uow.after_commit(lambda: self.directory.put(view))

    async def on_location(self, event: IncomingEvent, fix: LocationFix, uow: UnitOfWork) -> None:
        """Judge one fix against the person's areas; publish only transitions (exit, return)."""
        case = self.directory.get(fix.person_id)
        if case is None:
            FIXES_WITHOUT_CASE.inc()
            return
        staged: dict = uow.scratch.setdefault("zone", {})
        state: ZoneState = staged.get(fix.person_id, case.zone)
        x, y = self.directory.projection.xy(fix.lon, fix.lat)
        verdict = judge_position(x, y, fix.accuracy_m, case.permitted, case.exclusions)
        new_state, transitions = on_fix(state, fix.person_id, event.id, fix.recorded_at, verdict)
        if not transitions:
            if new_state != state:
                staged[fix.person_id] = new_state
                uow.after_commit(lambda: setattr(case, "zone", new_state))
            return
        for t in transitions:
            common = dict(person_id=fix.person_id, case_id=case.case_id, jurisdiction=case.jurisdiction,
                          cause=f"zone-episode:{t.episode_id}", observed_at=fix.recorded_at,
                          evidence=[str(event.id)])
            if isinstance(t, Exited):
                data = ZoneExited(**common, lat=fix.lat, lon=fix.lon, accuracy_m=fix.accuracy_m,
                                  distance_m=round(t.distance_m, 1))
                kind = "sps.supervision.zone-exited"
            else:
                data = ZoneReturned(**common)
                kind = "sps.supervision.zone-returned"
            out = new_event(kind, SOURCE, data, subject=str(fix.person_id), cause=event, time=fix.recorded_at)
            uow.emit(topics.SUPERVISION_EVENTS, out)
            await _record(uow, fix.person_id, out.id, out.type, fix.recorded_at, data.model_dump(mode="json"))
        await uow.conn.execute(
            insert(zone_state).values(person_id=fix.person_id, outside_episode=new_state.outside_episode,
                                      last_fix_at=new_state.last_fix_at)
            .on_conflict_do_update(index_elements=["person_id"],
                                   set_={"outside_episode": new_state.outside_episode,
                                         "last_fix_at": new_state.last_fix_at})
        )
        staged[fix.person_id] = new_state
        uow.after_commit(lambda: setattr(case, "zone", new_state))


async def _record(uow: UnitOfWork, person_id: uuid.UUID, event_id: uuid.UUID, event_type: str, occurred_at,
                  summary: dict) -> None:
    """The case file (档案): every significant event of a person, in order."""
    await uow.conn.execute(sa.insert(timeline).values(person_id=person_id, event_id=event_id, event_type=event_type,
                                                      occurred_at=occurred_at, summary=summary))
