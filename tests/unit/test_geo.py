"""Zone judgement at its boundaries (docs/domain.md §1: a fix outside by less than its accuracy is no breach)."""

import pytest

from services.supervision.domain.geo import Area, LocalProjection, judge_position

PROJ = LocalProjection(120.28, 31.91)
# A 1 km square in metres, built through the projection so edges are exact.
SQUARE = [PROJ.lonlat(x, y) for x, y in [(0, 0), (1000, 0), (1000, 1000), (0, 1000), (0, 0)]]
AREA = Area("square", SQUARE, PROJ)
ZONE = Area(
    "victim", [PROJ.lonlat(x, y) for x, y in [(400, 400), (600, 400), (600, 600), (400, 600), (400, 400)]], PROJ
)


@pytest.mark.parametrize(
    "outside_by,accuracy,breach",
    [
        (5, 10, False),  # the brief's example: 5 m outside with 10 m accuracy → no breach
        (10, 10, False),  # the circle touches the edge: not yet
        (10.5, 10, True),
        (15, 10, True),
        (150, 200, False),  # a cell fix (~200 m) needs more
        (250, 200, True),
    ],
)
def test_outside_only_beyond_accuracy(outside_by, accuracy, breach):
    v = judge_position(1000 + outside_by, 500, accuracy, AREA)
    assert v.outside_permitted is breach
    assert v.inside_permitted is False
    assert v.distance_outside_m == pytest.approx(outside_by, abs=0.01)


def test_inside_is_never_a_breach():
    v = judge_position(500, 500, 5000, AREA)
    assert v.inside_permitted and not v.outside_permitted and v.distance_outside_m == 0


@pytest.mark.parametrize("inside_by,accuracy,entered", [(5, 10, False), (10, 10, False), (20, 10, True)])
def test_exclusion_zone_only_when_the_whole_circle_is_inside(inside_by, accuracy, entered):
    v = judge_position(400 + inside_by, 500, accuracy, AREA, [ZONE])
    assert (v.exclusion_zones_entered == ("victim",)) is entered


def test_projection_round_trip():
    lon, lat = PROJ.lonlat(*PROJ.xy(120.5, 31.8))
    assert lon == pytest.approx(120.5) and lat == pytest.approx(31.8)


def test_invalid_polygon_is_refused():
    with pytest.raises(ValueError, match="at least 4"):
        Area("x", [(0, 0), (1, 1), (0, 0)], PROJ)
    with pytest.raises(ValueError, match="not valid"):
        Area("bow", [(120.0, 31.0), (120.1, 31.1), (120.1, 31.0), (120.0, 31.1), (120.0, 31.0)], PROJ)


def test_the_inscribed_circle_shortcut_answers_as_shapely_does():
    """Points inside the area's largest inscribed circle skip shapely; every answer must still be
    shapely's, for a concave polygon and the county, near the circle's rim and the edges too."""
    import random

    import shapely

    from services.supervision.domain.geo import county_area, projection_for
    from shared.geography import load_geography
    from shared.paths import POLICY_DIR

    ell = Area(
        "L",
        [
            PROJ.lonlat(x, y)
            for x, y in [(0, 0), (3000, 0), (3000, 1000), (1000, 1000), (1000, 3000), (0, 3000), (0, 0)]
        ],
        PROJ,
    )
    geography = load_geography(POLICY_DIR)
    county = county_area(geography, projection_for(geography))
    rng = random.Random(9)
    for area in (ell, county):
        cx, cy, r2 = area._core
        assert r2 > 0 and shapely.contains_xy(area.polygon, cx, cy)
        minx, miny, maxx, maxy = area.polygon.bounds
        points = [(rng.uniform(minx, maxx), rng.uniform(miny, maxy)) for _ in range(3000)]
        r = r2**0.5
        rim = [
            (cx + k * r * dx, cy + k * r * dy)
            for k in (0.999, 1.0, 1.001)
            for dx, dy in ((1, 0), (0, 1), (-1, 0), (0, -1), (0.6, 0.8))
        ]
        shortcut = sum((x - cx) ** 2 + (y - cy) ** 2 < r2 for x, y in points)
        assert shortcut > 100  # the shortcut is really taken
        for x, y in points + rim:
            assert area.contains(x, y) is bool(shapely.contains_xy(area.polygon, x, y)), (area.name, x, y)
