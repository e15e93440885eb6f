"""The risk instrument: items, cut-offs, overrides, explanation, and monotonicity (property test)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.risk.domain.instrument import LEVELS, age_band, load_instrument, score
from shared.paths import POLICY_DIR
from shared.policy import PolicyError

INSTRUMENT = load_instrument(POLICY_DIR, "2026.1")
MILD = {
    "offence_category": "property",
    "sentence_kind": "probation",
    "age_band": "35-49",
    "employment": "employed",
    "family_support": "strong",
    "substance_use": "none",
}


def test_each_item_adds_its_published_points():
    base = score(INSTRUMENT, MILD)
    for name, item in INSTRUMENT.items.items():
        if item.count is not None:
            for n in (0, 1, 2, 10):
                r = score(INSTRUMENT, {**MILD, name: n})
                got = next(s.points for s in r.items if s.item == name)
                assert got == min(item.count.cap, item.count.per * n), (name, n)
            continue
        for value, option in item.levels.items():
            r = score(INSTRUMENT, {**MILD, name: value})
            assert next(s.points for s in r.items if s.item == name) == option.points
            before = next(s.points for s in base.items if s.item == name)
            assert r.total == pytest.approx(base.total - before + option.points)


def test_cut_offs_at_their_boundaries():
    medium, high = INSTRUMENT.cut_offs.medium, INSTRUMENT.cut_offs.high
    assert INSTRUMENT.level_for(medium - 0.5) == "low" and INSTRUMENT.level_for(medium) == "medium"
    assert INSTRUMENT.level_for(high - 0.5) == "medium" and INSTRUMENT.level_for(high) == "high"


def test_a_mild_case_is_low_and_national_security_is_high_whatever_the_points():
    assert score(INSTRUMENT, MILD).level == "low"
    ns = score(INSTRUMENT, {**MILD, "offence_category": "national_security"})
    assert ns.level_by_points == "low" and ns.level == "high" and ns.overrides
    assert score(INSTRUMENT, {**MILD, "offence_category": "organised_crime"}).level == "high"


def test_explanation_names_the_items_that_raised_the_score_most():
    r = score(INSTRUMENT, {**MILD, "warnings": 2, "substance_use": "current", "three_false": "yes"})
    top = [e["item"] for e in r.explanation()["en"]]
    assert top == ["warnings", "substance_use", "three_false"]
    assert r.explanation()["zh"][0]["text"] == "警告次数：2"


def test_unknown_values_are_refused_and_age_bands():
    with pytest.raises(ValueError, match="offence_category"):
        score(INSTRUMENT, {"offence_category": "jaywalking"})
    assert [age_band(a) for a in (18, 25, 34, 35, 49, 50)] == ["<25", "25-34", "25-34", "35-49", "35-49", "50+"]


def test_an_instrument_whose_levels_are_not_ordered_is_refused_naming_the_line(tmp_path: Path):
    shutil.copytree(POLICY_DIR, tmp_path / "p")
    path = tmp_path / "p" / "risk" / "instrument-2026.1.yaml"
    text = path.read_text(encoding="utf-8").replace("unemployed: {points: 2,", "unemployed: {points: 0,")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError, match=r"instrument-2026.1.yaml:\d+: items.employment"):
        load_instrument(tmp_path / "p", "2026.1")


def profiles():
    fields = {}
    for name, item in INSTRUMENT.items.items():
        if item.count is not None:
            fields[name] = st.integers(0, 6)
        else:
            fields[name] = st.sampled_from(list(item.levels))
    return st.fixed_dictionaries(fields)


@settings(max_examples=500, deadline=None)
@given(profiles(), st.sampled_from(list(INSTRUMENT.items)), st.integers(1, 3))
def test_making_any_single_item_worse_never_lowers_the_score_or_level(profile, name, steps):
    item = INSTRUMENT.items[name]
    worse = dict(profile)
    if item.count is not None:
        worse[name] = profile[name] + steps
    else:
        order = list(item.levels)
        worse[name] = order[min(len(order) - 1, order.index(profile[name]) + steps)]
    before, after = score(INSTRUMENT, profile), score(INSTRUMENT, worse)
    assert after.total >= before.total
    assert LEVELS.index(after.level) >= LEVELS.index(before.level)


def test_the_monthly_cycle_is_the_first_of_each_next_county_month():
    from datetime import UTC, datetime

    from shared.county import default_county

    county = default_county()
    shanghai_dec_1 = datetime(2026, 11, 30, 16, tzinfo=UTC)  # 00:00 on 1 December in Jiangyin
    assert county.next_month_start(datetime(2026, 11, 26, 19, tzinfo=UTC)) == shanghai_dec_1
    # 23:30 UTC on 30 November is already 1 December in the county: the next cycle is January's.
    assert county.next_month_start(datetime(2026, 11, 30, 23, 30, tzinfo=UTC)) == datetime(2026, 12, 31, 16, tzinfo=UTC)
