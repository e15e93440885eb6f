"""挂牌转化: the conversion of a key person (docs/domain.md §1), pure.

The plan asks 一月一认定 with 市镇两级挂牌转化: a person an office's monthly list names is listed for
conversion at the office's level, with the list's target; the county may raise them to its own
(市级) list. The office sets the measures and who carries them out, records progress, and ends it:
converted (转化), once there are measures and progress to show for it; a county-level conversion
is ended by the county. A closed case ends its conversion with it.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

Outcome = Literal["converted", "case_closed"]


class ConversionRefused(ValueError):
    """The step does not fit the conversion (HTTP 409), saying why."""


def check_progress(on: date, today: date, opened_on: date) -> None:
    if on > today:
        raise ConversionRefused(f"progress on {on.isoformat()} has not come yet in the county")
    if on < opened_on:
        raise ConversionRefused(f"progress on {on} is before the conversion opened on {opened_on}")


def check_close(conversion: dict[str, Any], outcome: Outcome, *, county: bool) -> None:
    """Converted needs measures and at least one progress record; the county's list is the
    county's to end."""
    if conversion["level"] == "county" and not county:
        raise ConversionRefused("the person is on the county's list (市级挂牌): the county ends the conversion")
    if outcome == "converted" and not (conversion["measures"] and conversion["progress"]):
        raise ConversionRefused("a conversion ends as converted once its measures and progress are recorded")


def summary(conversion: dict[str, Any]) -> dict[str, Any]:
    """What the lists show of a conversion's progress: how many records, the last one's day."""
    progress = conversion["progress"] or []
    return {
        "measures_count": len(conversion["measures"] or []),
        "progress_count": len(progress),
        "last_progress_on": max((p["on"] for p in progress), default=None),
    }
