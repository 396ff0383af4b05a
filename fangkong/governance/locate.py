"""Which grid a point lies in, from the grids' GeoJSON shapes (no spatial database needed)."""

from __future__ import annotations

import time

from fangkong.core.areas import is_within
from fangkong.geo.models import Grid

# Grid shapes change when a district is re-imported, rarely; a reporter's phone posts often.
SHAPES_SECONDS = 60.0
_shapes: tuple[float, list[tuple[str, list[list[list[float]]]]]] = (0.0, [])


def _rings(geometry: dict | None) -> list[list[list[float]]]:
    if not geometry:
        return []
    if geometry.get("type") == "Polygon":
        return [geometry["coordinates"][0]]
    if geometry.get("type") == "MultiPolygon":
        return [polygon[0] for polygon in geometry["coordinates"]]
    return []


def _grid_shapes() -> list[tuple[str, list[list[list[float]]]]]:
    global _shapes
    expires, shapes = _shapes
    if expires < time.monotonic():
        shapes = [(g.code, _rings(g.geometry)) for g in Grid.objects.only("code", "geometry")]
        _shapes = (time.monotonic() + SHAPES_SECONDS, shapes)
    return shapes


def _inside(lon: float, lat: float, ring: list[list[float]]) -> bool:
    """Ray casting: a point is inside when a ray from it crosses the ring an odd number of times."""
    inside = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True):
        if (y1 > lat) != (y2 > lat) and lon < (x2 - x1) * (lat - y1) / (y2 - y1) + x1:
            inside = not inside
    return inside


def grid_at(*, latitude: float, longitude: float, scope_code: str) -> str | None:
    """The code of the grid within `scope_code` whose shape holds the point, if any."""
    for code, rings in _grid_shapes():
        if is_within(code, scope_code) and any(_inside(longitude, latitude, r) for r in rings):
            return code
    return None


def forget_shapes() -> None:
    global _shapes
    _shapes = (0.0, [])
