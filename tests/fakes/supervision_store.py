"""An in-memory stand-in for `services.supervision.adapters.store.SupervisionStore`: the rows a
command reads and writes, in lists and dicts, so commands run without PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from services.supervision.domain.aftercare import Followup, Trip
from services.supervision.domain.hours import LevelChange
from services.supervision.domain.keypersons import Candidate
from services.supervision.domain.sanctions import Absconding, SanctionEvidence


class FakeSupervisionStore:
    def __init__(self, uow: Any) -> None:
        self.uow = uow
        self.checkpoints: dict[tuple[str, str, int], int] = {}
        self.cases: list[dict[str, Any]] = []
        self.leaves: list[dict[str, Any]] = []
        self.sanctions: list[dict[str, Any]] = []
        self.orders: dict[uuid.UUID, dict[str, Any]] = {}
        self.followup_rows: list[dict[str, Any]] = []
        self.trip_rows: list[dict[str, Any]] = []
        self.teams: dict[uuid.UUID, list[dict[str, Any]]] = {}
        self.timeline: list[dict[str, Any]] = []
        self.timers: dict[str, tuple[str, datetime, dict[str, Any]]] = {}
        self.lists: dict[tuple[str, str], dict[str, Any]] = {}
        self.conversions: dict[uuid.UUID, dict[str, Any]] = {}
        self.candidate_rows: list[Candidate] = []
        self.positions: dict[uuid.UUID, dict[str, Any]] = {}
        self.track: list[tuple[Any, ...]] = []
        self.parked: list[dict[str, Any]] = []
        self.checks: list[dict[str, Any]] = []
        self.announcements: dict[uuid.UUID, dict[str, Any]] = {}
        self.notice_rows: dict[uuid.UUID, dict[str, Any]] = {}
        self.proposals: dict[uuid.UUID, dict[str, Any]] = {}
        self.hours: dict[uuid.UUID, dict[str, Any]] = {}
        self.judgements: dict[tuple[uuid.UUID, str], dict[str, Any]] = {}
        self.forces: dict[uuid.UUID, dict[str, Any]] = {}
        self.service_time: dict[uuid.UUID, dict[str, Any]] = {}
        self.plans: dict[uuid.UUID, dict[str, Any]] = {}
        self.help: dict[uuid.UUID, dict[str, Any]] = {}

    # --- what the event and timer handlers use ------------------------------------------------------

    async def open_case(self, **values: Any) -> bool:
        if any(c["source_ref"] == values["source_ref"] for c in self.cases if "source_ref" in c):
            return False
        self.cases.append(
            {
                "level": None,
                "risk_level": None,
                "community_rehabilitation": False,
                "opened_at": datetime.now(UTC),
                **values,
            }
        )
        return True

    async def case(self, case_id: uuid.UUID, *, for_update: bool = False) -> dict[str, Any] | None:
        return next((c for c in self.cases if c["case_id"] == case_id), None)

    async def active_correction(self, person_id: uuid.UUID) -> dict[str, Any] | None:
        return next(
            (
                c
                for c in self.cases
                if c["person_id"] == person_id
                and c["kind"] == "community_correction"
                and c["status"] in ("awaiting_intake", "under_supervision")
            ),
            None,
        )

    async def supervised_corrections(self, person_id: uuid.UUID) -> list[dict[str, Any]]:
        return [
            c
            for c in self.cases
            if c["person_id"] == person_id
            and c["kind"] == "community_correction"
            and c["status"] == "under_supervision"
        ]

    async def set_jurisdiction(self, case_id: uuid.UUID, office: str) -> None:
        (await self.case(case_id) or {})["jurisdiction"] = office

    async def add_notice(self, row: dict[str, Any]) -> bool:
        if row["notice_id"] in self.notice_rows:
            return False
        self.notice_rows[row["notice_id"]] = {"reply": None, "replied_at": None, "replied_by": None, **row}
        return True

    async def notice(self, notice_id: uuid.UUID, *, for_update: bool = False) -> dict[str, Any] | None:
        return self.notice_rows.get(notice_id)

    async def reply_notice(self, notice_id: uuid.UUID, reply: str, at: datetime, by: str) -> None:
        self.notice_rows[notice_id].update(reply=reply, replied_at=at, replied_by=by)

    async def notices(self, office: str | None) -> list[dict[str, Any]]:
        rows = [r for r in self.notice_rows.values() if office is None or r["office"] == office]
        return sorted(rows, key=lambda r: r["received_at"], reverse=True)

    async def last_correction_case(self, person_id: uuid.UUID) -> dict[str, Any] | None:
        mine = [c for c in self.cases if c["person_id"] == person_id and c["kind"] == "community_correction"]
        return mine[-1] if mine else None

    async def ending_announcement(self, case_id: uuid.UUID) -> dict[str, Any] | None:
        return self.announcements.get(case_id)

    async def announce_ending(self, row: dict[str, Any]) -> bool:
        if row["case_id"] in self.announcements:
            return False
        self.announcements[row["case_id"]] = dict(row)
        return True

    async def report_intake(
        self, person_id: uuid.UUID, at: datetime, recorded_by: str, note: str | None
    ) -> list[uuid.UUID]:
        reported = [c for c in self.cases if c["person_id"] == person_id and c["status"] == "awaiting_intake"]
        for c in reported:
            c |= {"status": "under_supervision", "intake_reported_at": at, "intake_recorded_by": recorded_by}
            c["intake_note"] = note
        return [c["case_id"] for c in reported]

    async def close_case(self, case_id: uuid.UUID, outcome: str, at: datetime) -> dict[str, Any] | None:
        case = await self.case(case_id)
        if case is None or case["status"] not in ("awaiting_intake", "under_supervision"):
            return None
        case["status"] = outcome
        case["closed_at"] = at
        for c in self.conversions.values():
            if c["case_id"] == case_id and c["closed_at"] is None:
                c.update(closed_at=at, closed_by="system", outcome="case_closed", close_note=outcome)
        return case

    async def set_risk(self, person_id: uuid.UUID, level: str) -> list[uuid.UUID]:
        mine = [
            c
            for c in self.cases
            if c["person_id"] == person_id and c["status"] in ("awaiting_intake", "under_supervision")
        ]
        for c in mine:
            c["risk_level"] = level
        return [c["case_id"] for c in mine]

    async def set_level(self, case_id: uuid.UUID, level: str) -> None:
        next(c for c in self.cases if c["case_id"] == case_id)["level"] = level

    async def sanction_counts(self, case_id: uuid.UUID) -> dict[str, int]:
        counts: dict[str, int] = {}
        for s in self.sanctions:
            if s["case_id"] == case_id:
                counts[s["kind"]] = counts.get(s["kind"], 0) + 1
        return counts

    async def position(self, person_id: uuid.UUID) -> dict[str, Any] | None:
        return self.positions.get(person_id)

    async def save_positions(self, rows: list[tuple[Any, ...]]) -> None:
        from services.supervision.adapters.store import ZONE_COLUMNS

        for row in rows:  # never back in time (the real upsert's guard)
            values = dict(zip(ZONE_COLUMNS, row, strict=True))
            values["person_id"] = uuid.UUID(str(values["person_id"]))  # as the uuid column reads it (hex or UUID)
            held = self.positions.get(values["person_id"])
            if held is None or held["last_fix_at"] is None or held["last_fix_at"] <= values["last_fix_at"]:
                self.positions[values["person_id"]] = values

    async def save_checkpoint(self, group_id: str, topic: str, offsets: dict[int, int]) -> None:
        for p, o in offsets.items():
            self.checkpoints[(group_id, topic, p)] = o

    async def add_track_points(self, rows: list[tuple[Any, ...]]) -> None:
        self.track.extend(rows)

    async def cancel_prefix(self, prefix: str) -> None:
        for key in [k for k in self.timers if k.startswith(prefix)]:
            del self.timers[key]

    async def push_back(self, rows: list[dict[str, Any]]) -> None:
        for r in rows:  # moves on, never back (shared/timers.py)
            current = self.timers.get(r["key"])
            if current is None or current[1] < r["due_at"]:
                self.timers[r["key"]] = (r["kind"], r["due_at"], r["payload"])

    async def open_contact_check(self, **values: Any) -> bool:
        if any(c["cause"] == values["cause"] for c in self.checks):
            return False
        self.checks.append({"outcome": None, "recorded_by": None, "recorded_at": None, "note": None, **values})
        return True

    async def open_check_of(self, person_id: uuid.UUID, *, for_update: bool = False) -> dict[str, Any] | None:
        mine = [c for c in self.checks if c["person_id"] == person_id and c["outcome"] is None]
        return max(mine, key=lambda c: c["opened_at"]) if mine else None

    async def contact_check(self, check_id: uuid.UUID) -> dict[str, Any] | None:
        return next((c for c in self.checks if c["check_id"] == check_id), None)

    async def close_contact_check(
        self, check_id: uuid.UUID, outcome: str, at: datetime, by: str | None, note: str | None
    ) -> None:
        check = await self.contact_check(check_id)
        assert check is not None
        check.update(outcome=outcome, recorded_at=at, recorded_by=by, note=note)

    async def arm(self, key: str, kind: str, due_at: datetime, payload: dict[str, Any]) -> None:
        self.timers.setdefault(key, (kind, due_at, payload))  # a fired timer is popped by the test

    async def park_fix(
        self,
        event_id: uuid.UUID,
        person_id: uuid.UUID,
        recorded_at: datetime,
        parked_at: datetime,
        envelope: dict[str, Any],
    ) -> None:
        if all(p["event_id"] != event_id for p in self.parked):
            self.parked.append(
                dict(
                    event_id=event_id,
                    person_id=person_id,
                    recorded_at=recorded_at,
                    parked_at=parked_at,
                    envelope=envelope,
                )
            )

    async def unpark_fixes(self, person_id: uuid.UUID, parked_by: datetime | None = None) -> list[dict[str, Any]]:
        taken = [
            p for p in self.parked if p["person_id"] == person_id and (parked_by is None or p["parked_at"] <= parked_by)
        ]
        self.parked = [p for p in self.parked if p not in taken]
        return [p["envelope"] for p in sorted(taken, key=lambda p: p["recorded_at"])]

    async def first_parked_at(self, person_id: uuid.UUID) -> datetime | None:
        return min((p["parked_at"] for p in self.parked if p["person_id"] == person_id), default=None)

    async def end_positioning(self, positioning_id: uuid.UUID) -> None:
        self.orders[positioning_id]["status"] = "ended"

    # --- fixtures -------------------------------------------------------------------------------------

    def add_case(self, **values: Any) -> dict[str, Any]:
        case = {
            "case_id": uuid.uuid4(),
            "person_id": uuid.uuid4(),
            "kind": "community_correction",
            "status": "under_supervision",
            "jurisdiction": "澄江街道",
            "opened_at": datetime(2026, 1, 1, tzinfo=UTC),
            "person_masked": {"sex": "M"},
            "electronic_monitoring": False,
            **values,
        }
        self.cases.append(case)
        return case

    async def active_case(self, person_id: uuid.UUID) -> dict[str, Any] | None:
        mine = [
            c
            for c in self.cases
            if c["person_id"] == person_id and c["status"] in ("awaiting_intake", "under_supervision")
        ]
        return mine[-1] if mine else None

    async def set_electronic_monitoring(self, case_id: uuid.UUID) -> None:
        next(c for c in self.cases if c["case_id"] == case_id)["electronic_monitoring"] = True

    async def record(
        self, person_id: uuid.UUID, event_id: uuid.UUID, event_type: str, occurred_at: datetime, summary: dict[str, Any]
    ) -> None:
        self.timeline.append(
            {
                "person_id": person_id,
                "event_id": event_id,
                "event_type": event_type,
                "occurred_at": occurred_at,
                "summary": summary,
            }
        )

    async def count_recorded(self, person_id: uuid.UUID, event_type: str, since: datetime) -> int:
        return sum(
            1
            for t in self.timeline
            if t["person_id"] == person_id and t["event_type"] == event_type and t["occurred_at"] >= since
        )

    async def schedule(self, key: str, kind: str, due_at: datetime, payload: dict[str, Any]) -> None:
        self.timers.setdefault(key, (kind, due_at, payload))

    async def add_leave(self, leave: Any, reason: str) -> None:
        status = "requested" if hasattr(leave, "requested_by") else "approved"
        self.leaves.append({**leave.model_dump(), "reason": reason, "status": status})

    async def leave(self, leave_id: uuid.UUID) -> dict[str, Any] | None:
        return next((dict(row) for row in self.leaves if row["leave_id"] == leave_id), None)

    async def update_leave(self, leave_id: uuid.UUID, **values: Any) -> None:
        next(row for row in self.leaves if row["leave_id"] == leave_id).update(values)

    async def add_sanction(self, **values: Any) -> int:
        self.sanctions.append(values)
        return sum(1 for s in self.sanctions if s["case_id"] == values["case_id"] and s["kind"] == values["kind"])

    async def add_help_request(self, **values: Any) -> bool:
        if values["request_id"] in self.help:
            return False
        self.help[values["request_id"]] = {"outcome": None, "civil_affairs": None, **values}
        return True

    async def help_request(self, request_id: uuid.UUID) -> dict[str, Any] | None:
        return self.help.get(request_id)

    async def update_help_request(self, request_id: uuid.UUID, **values: Any) -> None:
        self.help[request_id].update(values)

    async def add_plan(self, **values: Any) -> None:
        self.plans[values["plan_id"]] = {"approved_by": None, "approved_at": None, **values}

    async def plan(self, plan_id: uuid.UUID) -> dict[str, Any] | None:
        return self.plans.get(plan_id)

    async def approve_plan(self, plan_id: uuid.UUID, by: str, at: datetime) -> None:
        self.plans[plan_id].update(approved_by=by, approved_at=at)

    async def plan_facts(self, case_id: uuid.UUID, person_id: uuid.UUID) -> dict[str, datetime | None]:
        def last(event_type: str) -> datetime | None:
            times = [
                t["occurred_at"]
                for t in self.timeline
                if t["person_id"] == person_id
                and t["event_type"] == event_type
                and str(t["summary"].get("case_id")) == str(case_id)
            ]
            return max(times, default=None)

        approved = [p["approved_at"] for p in self.plans.values() if p["case_id"] == case_id and p["approved_at"]]
        return {
            "intake_at": last("sps.supervision.intake-reported"),
            "approved_at": max(approved, default=None),
            "level_changed_at": last("sps.supervision.level-changed"),
        }

    async def add_hours(self, **values: Any) -> bool:
        if values["entry_id"] in self.hours:
            return False
        self.hours[values["entry_id"]] = {"confirmed_by": None, "confirmed_at": None, **values}
        return True

    async def hours_entry(self, entry_id: uuid.UUID) -> dict[str, Any] | None:
        return self.hours.get(entry_id)

    async def confirm_hours(self, entry_id: uuid.UUID, by: str, at: datetime) -> None:
        self.hours[entry_id].update(confirmed_by=by, confirmed_at=at)

    async def add_social_force(self, values: dict[str, Any]) -> None:
        self.forces.setdefault(values["force_id"], dict(values))

    async def social_force(self, force_id: uuid.UUID) -> dict[str, Any] | None:
        return self.forces.get(force_id)

    async def social_force_left(self, force_id: uuid.UUID, on: date) -> None:
        self.forces[force_id]["left_on"] = on

    async def add_service_time(self, values: dict[str, Any]) -> None:
        self.service_time.setdefault(values["entry_id"], dict(values))

    async def keep_hours_judgement(self, **values: Any) -> None:
        kept = self.judgements.get((values["case_id"], values["month"]))
        if kept is None or kept["met"] != values["met"]:
            self.judgements[(values["case_id"], values["month"])] = dict(values)

    async def hours_judgement(self, case_id: uuid.UUID, month: str) -> dict[str, Any] | None:
        return self.judgements.get((case_id, month))

    async def level_changes(self, person_id: uuid.UUID, case_id: uuid.UUID, since: datetime) -> list[LevelChange]:
        return [
            LevelChange(t["occurred_at"], t["summary"]["level"], t["summary"].get("previous"))
            for t in sorted(self.timeline, key=lambda t: t["occurred_at"])
            if t["person_id"] == person_id
            and t["event_type"] == "sps.supervision.level-changed"
            and t["summary"].get("case_id") == str(case_id)
            and t["occurred_at"] >= since
        ]

    async def hours_between(self, first: date, after: date, case_id: uuid.UUID | None = None) -> list[dict[str, Any]]:
        sums: dict[tuple[Any, str], int] = {}
        for h in self.hours.values():
            if first <= h["on"] < after and h["confirmed_at"] is not None and case_id in (None, h["case_id"]):
                sums[(h["case_id"], h["kind"])] = sums.get((h["case_id"], h["kind"]), 0) + h["minutes"]
        return [{"case_id": c, "kind": k, "minutes": m} for (c, k), m in sums.items()]

    async def judged_cases(self, first: date) -> list[dict[str, Any]]:
        return [
            c
            for c in self.cases
            if c["kind"] == "community_correction"
            and c["status"] == "under_supervision"
            and c.get("term_start") is not None
            and c["term_start"] <= first
        ]

    async def add_proposal(self, **values: Any) -> None:
        self.proposals[values["proposal_id"]] = {"decision": None, "sanction_id": None, **values}

    async def proposal(self, proposal_id: uuid.UUID) -> dict[str, Any] | None:
        return self.proposals.get(proposal_id)

    async def decide_proposal(self, proposal_id: uuid.UUID, **values: Any) -> None:
        self.proposals[proposal_id].update(values)

    async def sanction_evidence(self, case_id: uuid.UUID, person_id: uuid.UUID, since: datetime) -> SanctionEvidence:
        episodes = []
        for check in self.checks:
            if check["case_id"] == case_id and check["outcome"] in ("unreachable", "no_result"):
                back = [
                    t["occurred_at"]
                    for t in self.timeline
                    if t["person_id"] == person_id
                    and t["event_type"] == "sps.ingest.checkin"
                    and t["occurred_at"] > check["opened_at"]
                ]
                since_seen = datetime.fromisoformat(check["cause"].partition(":")[2])
                episodes.append(Absconding(since_seen, min(back, default=None)))
        return SanctionEvidence(
            sanctions=[(s["kind"], s["recorded_at"]) for s in self.sanctions if s["case_id"] == case_id],
            absconding=episodes,
            prohibition_breaches=self._recorded_at(person_id, "sps.supervision.exclusion-zone-entered", since),
            short_months=[
                j["judged_at"]
                for j in self.judgements.values()
                if j["case_id"] == case_id and not j["met"] and j["judged_at"] >= since
            ],
        )

    def _recorded_at(self, person_id: uuid.UUID, event_type: str, since: datetime) -> list[datetime]:
        return [
            t["occurred_at"]
            for t in self.timeline
            if t["person_id"] == person_id and t["event_type"] == event_type and t["occurred_at"] >= since
        ]

    async def sanction(self, sanction_id: uuid.UUID) -> dict[str, Any] | None:
        found = next((s for s in self.sanctions if s["sanction_id"] == sanction_id), None)
        return {"ruling": None, **found} if found else None

    async def rule(self, sanction_id: uuid.UUID, ruling: str, ruled_at: datetime, ruling_no: str) -> None:
        next(s for s in self.sanctions if s["sanction_id"] == sanction_id).update(
            ruling=ruling, ruled_at=ruled_at, ruling_no=ruling_no
        )

    async def active_positioning(self, case_id: uuid.UUID) -> uuid.UUID | None:
        return next(
            (p["positioning_id"] for p in self.orders.values() if p["case_id"] == case_id and p["status"] == "active"),
            None,
        )

    async def add_positioning(self, order: Any) -> None:
        self.orders[order.positioning_id] = {"renewals": [], "status": "active", **order.model_dump()}

    async def positioning(self, positioning_id: uuid.UUID, *, for_update: bool = False) -> dict[str, Any] | None:
        row = self.orders.get(positioning_id)
        if row is None:
            return None
        case = next(c for c in self.cases if c["case_id"] == row["case_id"])
        return {**row, "jurisdiction": case["jurisdiction"]}

    async def extend_positioning(self, positioning_id: uuid.UUID, ends_on: date, renewals: list[Any]) -> None:
        self.orders[positioning_id].update(ends_on=ends_on, renewals=list(renewals))

    async def add_followup(self, **values: Any) -> None:
        self.followup_rows.append(values)

    async def followups(self, case_id: uuid.UUID) -> list[Followup]:
        return [
            Followup(r["kind"], r["at"], r["drug_test"], r["police_record"])
            for r in self.followup_rows
            if r["case_id"] == case_id
        ]

    async def add_trip(self, **values: Any) -> list[Trip]:
        self.trip_rows.append(values)
        return await self.trips(values["case_id"])

    async def trips(self, case_id: uuid.UUID) -> list[Trip]:
        return [
            Trip((t["returns_on"] - t["leaves_on"]).days + 1, t["reported"])
            for t in self.trip_rows
            if t["case_id"] == case_id
        ]

    async def replace_team(self, case_id: uuid.UUID, members: list[dict[str, Any]]) -> None:
        self.teams[case_id] = list(members)

    async def team_accounts(self, case_id: uuid.UUID) -> list[str]:
        return [m["account"] for m in self.teams.get(case_id, []) if m.get("account")]

    async def team_cases(self, account: str) -> list[dict[str, Any]]:
        found = []
        for c in self.cases:
            if c["status"] not in ("awaiting_intake", "under_supervision"):
                continue
            for m in self.teams.get(c["case_id"], []):
                if m.get("account") == account:
                    found.append({**c, "team_role": m["role"]})
        return found

    async def hours_entries(self, case_id: uuid.UUID, first: date, after: date) -> list[dict[str, Any]]:
        rows = [h for h in self.hours.values() if h["case_id"] == case_id and first <= h["on"] < after]
        return sorted(rows, key=lambda h: (h["on"], h["recorded_at"]))

    async def file_entries(self, person_id: uuid.UUID, event_type: str, limit: int) -> list[dict[str, Any]]:
        mine = [t for t in self.timeline if t["person_id"] == person_id and t["event_type"] == event_type]
        return [
            {"event_id": t["event_id"], "occurred_at": t["occurred_at"], "summary": t["summary"]}
            for t in reversed(mine)
        ][:limit]

    async def offices_unconfirmed(self, month: str) -> list[str]:
        offices = {
            c["jurisdiction"]
            for c in self.cases
            if c.get("kind") == "community_correction" and c.get("status") == "under_supervision"
        }
        return sorted(o for o in offices if (o, month) not in self.lists)

    async def open_conversion(self, case_id: uuid.UUID) -> dict[str, Any] | None:
        return next((c for c in self.conversions.values() if c["case_id"] == case_id and c["closed_at"] is None), None)

    async def add_conversion(self, values: dict[str, Any]) -> bool:
        if await self.open_conversion(values["case_id"]) is not None:
            return False
        defaults = {"measures": [], "responsible": None, "progress": [], "county_listing": None}
        closed = {"closed_at": None, "closed_by": None, "outcome": None, "close_note": None}
        self.conversions[values["conversion_id"]] = {**defaults, **closed, **values}
        return True

    async def update_conversion(self, conversion_id: uuid.UUID, **values: Any) -> None:
        self.conversions[conversion_id].update(values)

    async def confirmed_list(self, office: str, month: str) -> dict[str, Any] | None:
        return self.lists.get((office, month))

    async def add_list(
        self,
        office: str,
        month: str,
        confirmed_by: str,
        confirmed_at: datetime,
        persons: list[dict[str, Any]],
        removed: list[dict[str, Any]] | None = None,
    ) -> bool:
        if (office, month) in self.lists:
            return False
        self.lists[(office, month)] = {
            "office": office,
            "month": month,
            "confirmed_by": confirmed_by,
            "persons": persons,
            "removed": removed or [],
        }
        return True

    async def candidates(self, office: str, start: datetime, end: datetime) -> list[Candidate]:
        return list(self.candidate_rows)
