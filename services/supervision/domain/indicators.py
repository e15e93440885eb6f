"""The monthly indicators of supervision's own work, per justice office, as docs/indicators.md
defines them: electronic positioning rate (电子定位率), correction plan rate (个案矫正率), aftercare
rate (后续照管率), abstinence rate (操守保持率: a negative test shown in the month, and nothing
against it), hours completion per level, help requests answered (求助答复率), social-worker staffing
(社工配备率: one per 50 released persons), cases opened and closed by sentence kind, 漏管 and 脱管."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, fields
from typing import Any

from services.supervision.domain.aftercare import Followup, abstinence_kept
from services.supervision.domain.social_forces import SocialForcePolicy, staffing_rate
from shared.rates import rate


@dataclass(frozen=True)
class MonthCounts:
    """What the month's indicators count, per office."""

    corrections: dict[str, int]  # community-correction cases active in the month
    positioned: dict[str, int]  # of them, with electronic positioning in the month
    aftercare: list[tuple[uuid.UUID, str]]  # aftercare cases active in the month, with their office
    followups: dict[uuid.UUID, list[Followup]]  # the month's follow-ups by case
    opened: dict[str, dict[str, int]] = field(default_factory=dict)  # office → sentence kind → cases opened
    closed: dict[str, dict[str, int]] = field(default_factory=dict)  # office → sentence kind → cases closed
    intake_missed: dict[str, int] = field(default_factory=dict)  # office → persons 漏管 in the month
    contact_lost: dict[str, int] = field(default_factory=dict)  # office → persons 脱管 in the month
    planned: dict[str, int] = field(default_factory=dict)  # corrections with an approved plan by the month's end
    # office → level → (cases that met their hours, cases judged) at the month's end
    hours: dict[str, dict[str, tuple[int, int]]] = field(default_factory=dict)
    # office → (help requests of the month answered, help requests of the month)
    help: dict[str, tuple[int, int]] = field(default_factory=dict)
    released: dict[str, int] = field(default_factory=dict)  # office → resettlement cases active in the month
    help_planned: dict[str, int] = field(default_factory=dict)  # of them, with an approved help plan by its end
    social_workers: dict[str, int] = field(default_factory=dict)  # office → social workers registered in the month
    # 操守保持率's follow-ups by case: the quarter to the month's end (a test at each quarterly
    # visit keeps it, D9); the month's own when none are given
    tested: dict[uuid.UUID, list[Followup]] | None = None


LEVELS = ("strict", "ordinary", "lenient")


def by_office(counts: MonthCounts, forces: SocialForcePolicy | None = None) -> list[dict[str, Any]]:
    forces = forces or SocialForcePolicy()
    offices = sorted(
        set(counts.corrections)
        | {office for _, office in counts.aftercare}
        | set(counts.opened)
        | set(counts.closed)
        | set(counts.hours)
        | set(counts.help)
        | set(counts.released)
        | set(counts.social_workers)
    )
    out = []
    for office in offices:
        mine = [case_id for case_id, o in counts.aftercare if o == office]
        followed = sum(1 for case_id in mine if counts.followups.get(case_id))
        tested = counts.followups if counts.tested is None else counts.tested
        clean = sum(1 for case_id in mine if abstinence_kept(tested.get(case_id, [])))
        corrections = counts.corrections.get(office, 0)
        judged = counts.hours.get(office, {})
        answered, asked = counts.help.get(office, (0, 0))
        out.append(
            {
                "office": office,
                "corrections": corrections,
                "positioning_rate": rate(counts.positioned.get(office, 0), corrections),
                "plan_rate": rate(counts.planned.get(office, 0), corrections),
                "aftercare_cases": len(mine),
                # the command centre adds the persons notified who never came (handover's) to both
                # denominators (docs/indicators.md); these rates are of the cases alone
                "aftercare_followed": followed,
                "abstinence_kept": clean,
                "aftercare_rate": rate(followed, len(mine)),
                "abstinence_rate": rate(clean, len(mine)),
                "cases_opened": counts.opened.get(office, {}),
                "cases_closed": counts.closed.get(office, {}),
                "intake_missed": counts.intake_missed.get(office, 0),
                "contact_lost": counts.contact_lost.get(office, 0),
                **{f"hours_rate_{level}": rate(*judged.get(level, (0, 0))) for level in LEVELS},
                "help_rate": rate(answered, asked),
                "resettlement_cases": counts.released.get(office, 0),
                "help_plan_rate": rate(counts.help_planned.get(office, 0), counts.released.get(office, 0)),
                "social_workers": counts.social_workers.get(office, 0),
                "social_worker_rate": staffing_rate(
                    counts.social_workers.get(office, 0), counts.released.get(office, 0), forces
                ),
            }
        )
    return out


COUNTY_TOTAL = "全市"


def _add(values: list[Any]) -> Any:
    """Counts added up: numbers, pairs (met, judged) element by element, or mappings key by key."""
    if isinstance(values[0], dict):
        keys = {k for v in values for k in v}
        return {k: _add([v[k] for v in values if k in v]) for k in keys}
    if isinstance(values[0], tuple):
        return tuple(sum(parts) for parts in zip(*values, strict=True))
    return sum(values)


def county_total(counts: MonthCounts, forces: SocialForcePolicy | None = None) -> dict[str, Any]:
    """The whole county's row (全市, docs/indicators.md): the offices' counts added up and the same
    rates taken of the sums, never an average of the offices' rates."""
    merged: dict[str, Any] = {}
    for f in fields(counts):
        value = getattr(counts, f.name)
        if f.name in ("followups", "tested"):  # by case, not by office
            merged[f.name] = value
        elif f.name == "aftercare":
            merged[f.name] = [(case_id, COUNTY_TOTAL) for case_id, _ in value]
        else:
            merged[f.name] = {COUNTY_TOTAL: _add(list(value.values()))} if value else {}
    rows = by_office(MonthCounts(**merged), forces)
    return rows[0] if rows else {"office": COUNTY_TOTAL}
