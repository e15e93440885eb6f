"""Areas and the judgement of a fix against them, with the fix's accuracy.

Geometry is done in metres on a local equirectangular projection around the county centre:
at county scale (~60 km) its error is far below any fix's accuracy. Polygons are prepared
once, so judging a fix costs the same however many cases there are.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import shapely
from shapely.geometry import Point, Polygon
from shapely.ops import polylabel

from shared.geography import Geography

_M_PER_DEG_LAT = 110_574.0
# Projection arithmetic is exact to far less than this; a fix's accuracy is whole metres.
_EQUAL_WITHIN_M = 0.01
_M_PER_DEG_LON_EQUATOR = 111_320.0
_POLE_TOLERANCE_M = 1.0


@dataclass(frozen=True)
class LocalProjection:
    lon0: float
    lat0: float

    @property
    def kx(self) -> float:
        return _M_PER_DEG_LON_EQUATOR * math.cos(math.radians(self.lat0))

    def xy(self, lon: float, lat: float) -> tuple[float, float]:
        return (lon - self.lon0) * self.kx, (lat - self.lat0) * _M_PER_DEG_LAT

    def lonlat(self, x: float, y: float) -> tuple[float, float]:
        return self.lon0 + x / self.kx, self.lat0 + y / _M_PER_DEG_LAT


class Area:
    """A polygon (outer ring, [lon, lat] pairs) prepared for fast point tests."""

    __slots__ = ("_core", "_edge", "name", "polygon")

    def __init__(self, name: str, ring: Sequence[Sequence[float]], projection: LocalProjection) -> None:
        if len(ring) < 4:
            raise ValueError(f"area {name!r}: a polygon ring needs at least 4 points")
        self.name = name
        self.polygon = Polygon([projection.xy(lon, lat) for lon, lat in ring])
        if not self.polygon.is_valid:
            raise ValueError(f"area {name!r}: polygon is not valid (self-intersecting?)")
        shapely.prepare(self.polygon)
        self._edge = self.polygon.exterior
        # The largest circle inside the polygon (its pole of inaccessibility): a point within it
        # is inside without asking shapely, whose per-call overhead (~2 µs) was the fix path's
        # biggest geometry cost. Most fixes are people well inside their area.
        pole = polylabel(self.polygon, tolerance=_POLE_TOLERANCE_M)
        radius = max(0.0, float(self._edge.distance(pole)) - _EQUAL_WITHIN_M)
        self._core = (pole.x, pole.y, radius * radius)

    def contains(self, x: float, y: float) -> bool:
        cx, cy, r2 = self._core
        if (x - cx) ** 2 + (y - cy) ** 2 < r2:
            return True
        return bool(shapely.contains_xy(self.polygon, x, y))

    def distance_to_edge(self, x: float, y: float) -> float:
        return float(self._edge.distance(Point(x, y)))


@dataclass(frozen=True, slots=True)
class PositionVerdict:
    """Where a fix stands, beyond its accuracy.

    `outside_permitted` is True only when the whole accuracy circle lies outside the permitted
    area; a circle that crosses the edge is not yet a breach (docs/domain.md §1). Likewise an exclusion
    zone counts as entered only when the whole circle lies inside it.
    """

    inside_permitted: bool
    outside_permitted: bool
    distance_outside_m: float
    exclusion_zones_entered: tuple[str, ...] = ()


def judge_position(
    x: float, y: float, accuracy_m: float, permitted: Area, exclusions: Sequence[Area] = ()
) -> PositionVerdict:
    inside = permitted.contains(x, y)
    distance = 0.0 if inside else permitted.distance_to_edge(x, y)
    entered = tuple(
        zone.name
        for zone in exclusions
        if zone.contains(x, y) and zone.distance_to_edge(x, y) > accuracy_m + _EQUAL_WITHIN_M
    )
    return PositionVerdict(
        inside_permitted=inside,
        outside_permitted=(not inside) and distance > accuracy_m + _EQUAL_WITHIN_M,
        distance_outside_m=distance,
        exclusion_zones_entered=entered,
    )


def projection_for(geography: Geography) -> LocalProjection:
    lon, lat = geography.county.centre
    return LocalProjection(lon, lat)


def county_area(geography: Geography, projection: LocalProjection) -> Area:
    return Area(geography.county.name_en, geography.county.polygon, projection)
