import uuid
from datetime import UTC, datetime, timedelta

from services.supervision.domain.geo import PositionVerdict
from services.supervision.domain.zones import Exited, Returned, ZoneState, episode_id, on_fix

PID = uuid.uuid4()
T0 = datetime(2026, 12, 2, 8, tzinfo=UTC)
OUT = PositionVerdict(inside_permitted=False, outside_permitted=True, distance_outside_m=500)
EDGE = PositionVerdict(inside_permitted=False, outside_permitted=False, distance_outside_m=5)
IN = PositionVerdict(inside_permitted=True, outside_permitted=False, distance_outside_m=0)


def test_one_episode_per_stay_outside():
    s, t = on_fix(ZoneState(), PID, f1 := uuid.uuid4(), T0, OUT)
    assert t == [Exited(episode_id(PID, f1), 500)]
    s2, t2 = on_fix(s, PID, uuid.uuid4(), T0 + timedelta(minutes=1), OUT)
    assert t2 == [] and s2.outside_episode == s.outside_episode  # a continuing cause is the same cause
    s3, t3 = on_fix(s2, PID, uuid.uuid4(), T0 + timedelta(minutes=2), IN)
    assert t3 == [Returned(s.outside_episode)] and s3.outside_episode is None
    s4, t4 = on_fix(s3, PID, f4 := uuid.uuid4(), T0 + timedelta(minutes=3), OUT)
    assert t4 == [Exited(episode_id(PID, f4), 500)] and s4.outside_episode != s.outside_episode


def test_within_accuracy_neither_exits_nor_returns():
    s, t = on_fix(ZoneState(), PID, uuid.uuid4(), T0, EDGE)
    assert t == [] and s.outside_episode is None
    outside, _ = on_fix(ZoneState(), PID, uuid.uuid4(), T0, OUT)
    s2, t2 = on_fix(outside, PID, uuid.uuid4(), T0 + timedelta(seconds=1), EDGE)
    assert t2 == [] and s2.outside_episode == outside.outside_episode


def test_a_late_older_fix_changes_nothing():
    s, _ = on_fix(ZoneState(), PID, uuid.uuid4(), T0, IN)
    s2, t = on_fix(s, PID, uuid.uuid4(), T0 - timedelta(seconds=1), OUT)
    assert t == [] and s2 == s


def test_an_approved_leave_inhibits_the_exit():
    s, t = on_fix(ZoneState(), PID, uuid.uuid4(), T0, OUT, leave_active=True)
    assert t == [] and s.outside_episode is None


def test_episode_id_is_stable_for_a_redelivered_fix():
    f = uuid.uuid4()
    assert episode_id(PID, f) == episode_id(PID, f) != episode_id(PID, uuid.uuid4())


def test_last_outside_is_kept_even_on_leave():
    s, t = on_fix(ZoneState(), PID, uuid.uuid4(), T0, OUT, leave_active=True)
    assert t == [] and s.last_outside and s.outside_episode is None
    s2, _ = on_fix(s, PID, uuid.uuid4(), T0 + timedelta(minutes=1), IN)
    assert not s2.last_outside


def test_exclusion_zone_entry_once_per_stay():
    inside_zone = PositionVerdict(
        inside_permitted=True, outside_permitted=False, distance_outside_m=0, exclusion_zones_entered=("受害人住所",)
    )
    s, t = on_fix(ZoneState(), PID, uuid.uuid4(), T0, inside_zone)
    assert [type(x).__name__ for x in t] == ["EnteredZone"] and t[0].zone == "受害人住所"
    s, t = on_fix(s, PID, uuid.uuid4(), T0 + timedelta(minutes=1), inside_zone)
    assert t == []
    s, t = on_fix(s, PID, uuid.uuid4(), T0 + timedelta(minutes=2), IN)
    s, t = on_fix(s, PID, uuid.uuid4(), T0 + timedelta(minutes=3), inside_zone)
    assert len(t) == 1  # a new stay is a new episode


def test_strap_cut_once_per_episode_and_rearmed_when_intact():
    s, t = on_fix(ZoneState(), PID, uuid.uuid4(), T0, IN, strap_intact=False)
    assert [type(x).__name__ for x in t] == ["Tampered"]
    s, t = on_fix(s, PID, uuid.uuid4(), T0 + timedelta(minutes=1), IN, strap_intact=False)
    assert t == []
    s, t = on_fix(s, PID, uuid.uuid4(), T0 + timedelta(minutes=2), IN, strap_intact=True)
    s, t = on_fix(s, PID, uuid.uuid4(), T0 + timedelta(minutes=3), IN, strap_intact=False)
    assert len(t) == 1
    s, t = on_fix(s, PID, uuid.uuid4(), T0 + timedelta(minutes=4), IN)  # no strap report: no change
    assert t == [] and s.tampered
