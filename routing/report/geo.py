"""The map's geometry: a Lambert conformal conic projection fitted to the nodes, a viewport in pixels,
and the state and country outlines shipped with the package (``data/boundaries.json``, see its README)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np

EARTH_RADIUS_KM = 6371.0
PARALLEL_SHARE = 1 / 6  # standard parallels at 1/6 and 5/6 of the latitude span (the usual rule for conics)
INSET_LONGITUDE_DEG = 90.0  # nodes farther than this from the main map's centre meridian go to the inset


def wrap_longitude(lon: np.ndarray) -> np.ndarray:
    """Longitudes moved into [-180, 180)."""
    return (np.asarray(lon, dtype=float) + 180.0) % 360.0 - 180.0


@dataclass(frozen=True, slots=True)
class LambertConformal:
    """A spherical Lambert conformal conic projection (Snyder, *Map Projections*, 1987, eq. 15-1 to 15-4).

    Example
    -------
    >>> lcc = LambertConformal(lon0=-100.0, lat0=30.0, lat1=20.0, lat2=40.0)
    >>> x, y = lcc.project(np.array([-100.0]), np.array([30.0]))
    >>> float(x[0]), float(y[0])
    (0.0, 0.0)
    >>> round(float(lcc.scale_factor(20.0)), 6), round(float(lcc.scale_factor(40.0)), 6)
    (1.0, 1.0)
    """

    lon0: float
    lat0: float
    lat1: float
    lat2: float

    @classmethod
    def fit(cls, lon: np.ndarray, lat: np.ndarray) -> LambertConformal:
        """The conic for points: centre meridian mid-way in longitude, parallels at 1/6 and 5/6 of the
        latitude span."""
        lon, lat = wrap_longitude(lon), np.asarray(lat, dtype=float)
        south, north = float(lat.min()), float(lat.max())
        span = north - south
        return cls(lon0=(float(lon.min()) + float(lon.max())) / 2, lat0=(south + north) / 2,
                   lat1=south + PARALLEL_SHARE * span, lat2=north - PARALLEL_SHARE * span)

    @property
    def _cone(self) -> tuple[float, float, float]:
        """The cone constant ``n``, ``F`` and ``rho0`` (km)."""
        p1, p2 = math.radians(self.lat1), math.radians(self.lat2)
        t = lambda phi: math.tan(math.pi / 4 + phi / 2)  # noqa: E731
        n = math.sin(p1) if math.isclose(p1, p2) else math.log(math.cos(p1) / math.cos(p2)) / math.log(t(p2) / t(p1))
        f = math.cos(p1) * t(p1) ** n / n
        return n, f, EARTH_RADIUS_KM * f / t(math.radians(self.lat0)) ** n

    def project(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Kilometres east and north of (``lon0``, ``lat0``)."""
        n, f, rho0 = self._cone
        phi = np.radians(np.asarray(lat, dtype=float))
        rho = EARTH_RADIUS_KM * f / np.tan(np.pi / 4 + phi / 2) ** n
        theta = n * np.radians(wrap_longitude(np.asarray(lon, dtype=float) - self.lon0))
        return rho * np.sin(theta), rho0 - rho * np.cos(theta)

    def scale_factor(self, lat: float) -> float:
        """The map's scale at latitude ``lat`` over its true scale on the standard parallels."""
        n, f, _ = self._cone
        phi = math.radians(lat)
        return f * n / (math.cos(phi) * math.tan(math.pi / 4 + phi / 2) ** n) if n else 1.0


@dataclass(frozen=True, slots=True)
class Viewport:
    """Projected kilometres fitted into a pixel box (``left``, ``top``, ``width``, ``height``), aspect kept."""

    projection: LambertConformal
    left: float
    top: float
    width: float
    height: float
    px_per_km: float
    x_mid_km: float
    y_mid_km: float

    @classmethod
    def fit(cls, lon: np.ndarray, lat: np.ndarray, box: tuple[float, float, float, float], *,
            pad: float) -> Viewport:
        """The projection fitted to the points, scaled so they fill ``box`` less ``pad`` pixels a side."""
        projection = LambertConformal.fit(lon, lat)
        x, y = projection.project(lon, lat)
        left, top, width, height = box
        span_x, span_y = max(float(np.ptp(x)), 1.0), max(float(np.ptp(y)), 1.0)
        scale = min((width - 2 * pad) / span_x, (height - 2 * pad) / span_y)
        return cls(projection, left, top, width, height, scale, (float(x.min()) + float(x.max())) / 2,
                   (float(y.min()) + float(y.max())) / 2)

    def to_px(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Pixel coordinates (y down) of longitudes and latitudes."""
        x, y = self.projection.project(lon, lat)
        return (self.left + self.width / 2 + (x - self.x_mid_km) * self.px_per_km,
                self.top + self.height / 2 - (y - self.y_mid_km) * self.px_per_km)

    def scale_bar_km(self, share: float) -> tuple[float, float]:
        """A round length in km (1, 2 or 5 x 10^k) near ``share`` of the width at the centre latitude,
        and its length in pixels there."""
        k = self.projection.scale_factor(self.projection.lat0)
        km_per_px = 1.0 / (self.px_per_km * k)
        target = share * self.width * km_per_px
        power = 10 ** math.floor(math.log10(target))
        length = max(m * power for m in (1, 2, 5) if m * power <= target)
        return length, length / km_per_px


def split_inset(lon: np.ndarray) -> np.ndarray:
    """Which points go to the inset: those more than :data:`INSET_LONGITUDE_DEG` from the median
    longitude of the hemisphere (east or west) with most points, e.g. the Asian origins of a
    trans-Pacific network, so that no link is drawn across the antimeridian on the main map.

    Example
    -------
    >>> split_inset(np.array([-100.0, -99.0, 121.0])).tolist()
    [False, False, True]
    """
    lon = wrap_longitude(lon)
    west = lon < 0
    main = west if west.sum() >= (~west).sum() else ~west
    return np.abs(wrap_longitude(lon - float(np.median(lon[main])))) > INSET_LONGITUDE_DEG


@cache
def read_boundaries() -> dict[str, Any]:
    """The outlines shipped with the package: ``us_states``, ``mx_states`` and ``countries``, each a
    list of ``{"id", "name", "rings": [[[lon, lat], ...], ...]}``."""
    text = (resources.files("routing.report") / "data" / "boundaries.json").read_text(encoding="utf-8")
    return json.loads(text)
