"""The handover and resettlement indicators, pure, as docs/indicators.md defines them.

A month's rates count the releases *due* that month (by release date, in the county's days),
registered or not, so nobody who never turned up drops out of a denominator. The resettlement
measures of the 2018 plan are yearly: of the persons released this year (up to the month's end),
how many re-offended the same year, were placed (安置) and were given employment services; and of
those released in the five years before, how many re-offended within five years.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from shared.calendar import add_years
from shared.periods import Deadline
from shared.rates import rate

COUNTY_TOTAL = "全市"  # the whole county's row
PLACEMENTS = frozenset({"placed_employment", "placed_self_employed", "placed_family", "placed_base"})
EMPLOYMENT_SERVICES = frozenset({"unemployment_registration", "skills_training", "job_referral"})


@dataclass(frozen=True)
class Release:
    """One release handover as the indicators need it."""

    person_id: uuid.UUID
    office: str  # empty while the notice is on the county's unlinked list (未衔接): counted in 全市 only
    release_date: date
    key_person: bool
    verified: bool = False  # 信息核查 done by a member of staff
    receipted: bool = False  # the receipt was sent to the prison
    picked_up: bool = False
    police_acknowledged: bool = False  # the police took the handover over (社区管控)
    agreement: bool = False
    applied: bool = False  # 自愿申请帮教: the person applied for assistance themselves
    arrived_on: date | None = None  # the county's date of registration at the office
    services: tuple[tuple[str, date], ...] = ()  # each service's kind and its county date
    assistance: tuple[tuple[date, bool], ...] = ()  # each request's county date, and whether it got help
    new_orders: tuple[date, ...] = field(default_factory=tuple)  # effective dates of later court orders


def monthly(
    releases: list[Release], start: date, end: date, today: date, arrival: Callable[[date], Deadline]
) -> list[dict[str, Any]]:
    """Per office, the releases due in [start, end) and how far each step got."""
    due = [r for r in releases if start <= r.release_date < end]
    out = []
    for office in sorted({r.office for r in due if r.office}):
        mine = [r for r in due if r.office == office]
        key = [r for r in mine if r.key_person]
        ordinary = [r for r in mine if not r.key_person]
        applied = [r for r in mine if r.applied]
        missed = [r for r in key if _intake_missed(r, today, arrival(r.release_date))]
        out.append(
            {
                "office": office,
                "releases": len(mine),
                "key_releases": len(key),
                "verification_rate": rate(sum(r.verified for r in mine), len(mine)),
                "receipt_rate": rate(sum(r.receipted for r in mine), len(mine)),
                "key_pickup_rate": rate(sum(r.picked_up for r in key), len(key)),
                "ordinary_pickup_rate": rate(sum(r.picked_up for r in ordinary), len(ordinary)),
                "police_control_rate": rate(sum(r.police_acknowledged for r in key), len(key)),
                "key_agreement_rate": rate(sum(r.agreement for r in key), len(key)),
                "applied_agreement_rate": rate(sum(r.agreement for r in applied), len(applied)),
                "release_intake_missed": len(missed),
            }
        )
    return out


def aftercare_not_arrived(rehab: list[tuple[str, date, date | None]], end: date) -> dict[str, int]:
    """Per office, the persons a rehabilitation centre notified who were released before `end` (the
    month's end, exclusive) and had not registered by then: 后续照管 owed to them too (照管对象一个不漏,
    docs/indicators.md). `rehab` holds (office, release date, the county's date of arrival or None),
    already limited to the aftercare years before `end`."""
    out: dict[str, int] = {}
    for office, released, arrived in rehab:
        if released < end and (arrived is None or arrived >= end):
            out[office] = out.get(office, 0) + 1
    return out


def county_total(
    releases: list[Release], start: date, end: date, today: date, arrival: Callable[[date], Deadline], years: int
) -> dict[str, Any]:
    """全市: the same figures of every release at once, the notices still on the county's unlinked
    list with them (their receipts are the county's to send), never an average of the offices'."""
    everyone = [replace(r, office=COUNTY_TOTAL) for r in releases]
    total: dict[str, Any] = {"office": COUNTY_TOTAL}
    for row in [*monthly(everyone, start, end, today, arrival), *yearly(everyone, end, years)]:
        total.update(row)
    return total


def _intake_missed(r: Release, today: date, arrival: Deadline) -> bool:
    """漏管: a key person not registered within the arrival window, once its last day is over
    (the one period rule, docs/rules.md: arriving on the last day is in time)."""
    return today > arrival.last_day and (r.arrived_on is None or not arrival.kept_on(r.arrived_on))


def yearly(releases: list[Release], end: date, window_years: int) -> list[dict[str, Any]]:
    """Per office, the plan's four resettlement measures up to `end` (exclusive: the month's end);
    re-offending within `window_years` of release (policy, five by the plan)."""
    year_start = date(date.fromordinal(end.toordinal() - 1).year, 1, 1)  # the year of the month's last day
    five_years_before = add_years(end, -window_years)
    out = []
    for office in sorted({r.office for r in releases if r.office}):
        mine = [r for r in releases if r.office == office]
        this_year = [r for r in mine if year_start <= r.release_date < end]
        last_five = [r for r in mine if five_years_before <= r.release_date < end]
        same_year = [
            r
            for r in this_year
            if any(r.release_date < d < end and d.year == r.release_date.year for d in r.new_orders)
        ]
        within_five = [
            r
            for r in last_five
            if any(r.release_date < d < min(end, add_years(r.release_date, window_years)) for d in r.new_orders)
        ]
        requests = [got for r in mine for on, got in r.assistance if year_start <= on < end]
        out.append(
            {
                "office": office,
                "released_this_year": len(this_year),
                "assistance_rate": rate(sum(requests), len(requests)),
                "reoffending_same_year_rate": rate(len(same_year), len(this_year)),
                "reoffending_5y_rate": rate(len(within_five), len(last_five)),
                "placement_rate": rate(sum(_served(r, PLACEMENTS, end) for r in this_year), len(this_year)),
                "employment_service_rate": rate(
                    sum(_served(r, EMPLOYMENT_SERVICES, end) for r in this_year), len(this_year)
                ),
            }
        )
    return out


def _served(r: Release, kinds: frozenset[str], end: date) -> bool:
    """A service of these kinds dated before `end`: a later one does not change a past month's
    figure (D11; docs/indicators.md)."""
    return any(kind in kinds and on < end for kind, on in r.services)
