"""The map: the solved network over US and Mexican state outlines, in a Lambert conformal conic.

Links are drawn with width by loads and colour by mode; border crossings coloured by utilisation;
plants sized by output. Nodes far across the antimeridian (the Asian origins) are drawn in an inset
with its own conic, and their ocean links run from the inset to their port, so no line crosses the
map the long way round. Every drawn element names its row of the page's data (``data-t``,
``data-i``), which the page's script shows on hover or click.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import polars as pl

from networks import Network
from routing.report.geo import Viewport, read_boundaries, split_inset, wrap_longitude
from routing.report.svg import grouped, number, path_d, tag, text
from routing.results.crossings import by_crossing
from routing.results.result import LeadTimeResult

WIDTH, HEIGHT, PAD = 1000.0, 640.0, 36.0
INSET = (8.0, 8.0, 250.0, 180.0)
"""The inset's box (left, top, width, height) in pixels."""
INSET_PAD = 22.0  # pixels kept free inside the inset's box
MODE_COLORS = {"ocean": "#1f78b4", "rail": "#6a3d9a", "truck": "#e08214", "drayage": "#8c8c8c"}
OTHER_MODE = "#444444"
MIN_W, MAX_W = 0.8, 9.0  # link stroke width of the least and the most loaded link (square-root scale)
UTILISATION_STOPS = ((0.0, (26, 152, 80)), (0.6, (254, 224, 139)), (0.95, (215, 48, 39)))
"""Colour ramp of crossing utilisation: green, yellow from 60 %, red at the 95 % queue ceiling."""
OUTLINE_MARGIN_DEG = 40.0  # outlines this far past the view's longitudes are left out (a conic folds them back)
SYMBOLS = {"market": "market", "plant": "plant", "border_crossing": "crossing", "seaport": "port",
           "origin": "origin"}


def map_frames(network: Network, result: LeadTimeResult) -> dict[str, pl.DataFrame]:
    """The rows the map draws: ``links`` (loads per day on each link, all commodities), ``crossings``
    (:func:`routing.results.crossings.by_crossing`, and ``closed``: the node takes no loads or its
    lanes have no capacity), ``plants`` (output, power and water used
    against the plant's limits) and ``nodes`` (every other node)."""
    nodes = network.nodes.select("id", "name", "kind", "country", "lat", "lon")
    loads = result.flows.group_by("link").agg(pl.col("loads_per_day").sum())
    links = (network.links.select("id", "from", "to", "mode", "transit_h", "capacity_loads_per_day",
                                  "cost_usd_per_load")
             .join(loads, left_on="id", right_on="link", how="left")
             .with_columns(pl.col("loads_per_day").fill_null(0.0)).sort("id"))
    shut = network.nodes.filter(pl.col("throughput_loads_per_day") == 0)["id"]
    crossings = by_crossing(result.crossings).drop("lane_types").sort("crossing").with_columns(
        closed=pl.col("crossing").is_in(shut.implode()) | (pl.col("capacity_loads_per_day") == 0))
    use = (result.lanes.join(network.commodities.select("id", "power_mwh_per_load", "water_m3_per_load"),
                             left_on="commodity", right_on="id")
           .group_by("origin").agg(output_loads_per_day=pl.col("loads_per_day").sum(),
                                   power_used_mw=(pl.col("loads_per_day") * pl.col("power_mwh_per_load")).sum() / 24,
                                   water_used_m3_per_day=(pl.col("loads_per_day") * pl.col("water_m3_per_load")).sum()))
    plants = (network.nodes.filter(pl.col("kind") == "plant")
              .select("id", "name", "region", "power_mw", "water_m3_per_day")
              .join(use, left_on="id", right_on="origin", how="left")
              .with_columns(pl.col("output_loads_per_day", "power_used_mw", "water_used_m3_per_day").fill_null(0.0))
              .sort("id"))
    return {"links": links, "crossings": crossings, "plants": plants, "nodes": nodes.sort("id")}


def utilisation_color(value: float | None) -> str:
    """The ramp's colour at ``value`` (clamped to its ends); grey for no value.

    Example
    -------
    >>> utilisation_color(0.0), utilisation_color(1.0), utilisation_color(None)
    ('#1a9850', '#d73027', '#bbbbbb')
    """
    if value is None or math.isnan(value):
        return "#bbbbbb"
    stops = UTILISATION_STOPS
    value = min(max(value, stops[0][0]), stops[-1][0])
    for (a, ca), (b, cb) in itertools.pairwise(stops):
        if value <= b:
            t = (value - a) / (b - a)
            return "#" + "".join(f"{round(x + t * (y - x)):02x}" for x, y in zip(ca, cb, strict=True))
    return "#" + "".join(f"{c:02x}" for c in stops[-1][1])


def draw_map(frames: dict[str, pl.DataFrame]) -> str:
    """The map as one SVG element (see the module's docstring)."""
    nodes = frames["nodes"]
    lon, lat = nodes["lon"].to_numpy(), nodes["lat"].to_numpy()
    inset = split_inset(lon)
    beside = INSET[0] + INSET[2] if inset.any() else 0.0  # the main map's nodes stay clear of the inset
    main = Viewport.fit(lon[~inset], lat[~inset], (beside, 0.0, WIDTH - beside, HEIGHT), pad=PAD)
    far = Viewport.fit(lon[inset], lat[inset], INSET, pad=INSET_PAD) if inset.any() else None
    px, py = main.to_px(lon, lat)
    if far is not None:
        fx, fy = far.to_px(lon[inset], lat[inset])
        px[inset], py[inset] = fx, fy
    where = {ident: (float(x), float(y)) for ident, x, y in zip(nodes["id"], px, py, strict=True)}
    layers = [
        tag("defs", tag("clipPath", tag("rect", width=number(WIDTH), height=number(HEIGHT)), id="map-clip")),
        tag("rect", width=number(WIDTH), height=number(HEIGHT), class_="sea"),
        tag("g", _outlines(main, lon_range=wrap_longitude(lon[~inset])), clip_path="url(#map-clip)"),
    ]
    if far is not None:
        layers.append(_inset_frame(far, lon[inset]))
    layers += [_links(frames["links"], where), _nodes(nodes, where), _plants(frames["plants"], where),
               _crossings(frames["crossings"], where), _legend(frames["links"]), _scale_bar(main)]
    return tag("svg", "".join(layers), viewBox=f"0 0 {number(WIDTH)} {number(HEIGHT)}", id="map-svg",
               class_="map", role="img")


def _rings_path(view: Viewport, rings: list[list[list[float]]]) -> str:
    parts = []
    for ring in rings:
        xy = np.asarray(ring, dtype=float)
        x, y = view.to_px(xy[:, 0], xy[:, 1])
        if x.max() < view.left or x.min() > view.left + view.width or y.max() < view.top \
                or y.min() > view.top + view.height:
            continue
        parts.append(path_d(x, y, closed=True))
    return "".join(parts)


def _outlines(view: Viewport, *, lon_range: np.ndarray) -> str:
    """Country outlines, then US and Mexican states, those whose points lie near the view's meridians."""
    shapes = read_boundaries()
    lo, hi = float(lon_range.min()), float(lon_range.max())
    out = []
    for layer, cls in (("countries", "country"), ("us_states", "state us"), ("mx_states", "state mx")):
        for feature in shapes[layer]:
            first = feature["rings"][0][0][0]
            if abs(float(wrap_longitude(np.array([first - (lo + hi) / 2]))[0])) > (hi - lo) / 2 + OUTLINE_MARGIN_DEG:
                continue
            d = _rings_path(view, feature["rings"])
            if d:
                out.append(tag("path", tag("title", text(feature["name"])), d=d, class_=cls))
    return "".join(out)


def _inset_frame(view: Viewport, lon: np.ndarray) -> str:
    left, top, width, height = INSET
    return tag("g", tag("rect", x=number(left), y=number(top), width=number(width), height=number(height),
                        class_="inset-sea")
               + tag("g", _outlines(view, lon_range=wrap_longitude(lon)), clip_path="url(#inset-clip)")
               + tag("clipPath", tag("rect", x=number(left), y=number(top), width=number(width),
                                     height=number(height)), id="inset-clip")
               + tag("text", "Asian origins (inset, own projection)", x=number(left + 6), y=number(top + height - 6),
                     class_="note"), class_="inset")


def _links(links: pl.DataFrame, where: dict[str, tuple[float, float]]) -> str:
    """Idle links thin and dashed below, used links by loads above them."""
    top = float(links["loads_per_day"].max() or 0.0)
    order = np.argsort(links["loads_per_day"].to_numpy(), kind="stable")
    out = []
    for i in order:
        row = links.row(int(i), named=True)
        (x1, y1), (x2, y2) = where[row["from"]], where[row["to"]]
        loads = row["loads_per_day"]
        width = MIN_W + (MAX_W - MIN_W) * math.sqrt(loads / top) if top > 0 and loads > 0 else 0.5
        out.append(tag("path", d=path_d(np.array([x1, x2]), np.array([y1, y2])),
                       stroke=MODE_COLORS.get(row["mode"], OTHER_MODE), stroke_width=number(width, 2),
                       class_="link" if loads > 0 else "link idle", data_t="links", data_i=int(i)))
    return tag("g", "".join(out), class_="links")


def _nodes(nodes: pl.DataFrame, where: dict[str, tuple[float, float]]) -> str:
    """Markets, seaports and origins (plants and crossings are drawn by their own layers)."""
    out = []
    for i, row in enumerate(nodes.iter_rows(named=True)):
        kind = SYMBOLS.get(row["kind"])
        if kind in (None, "plant", "crossing"):
            continue
        x, y = where[row["id"]]
        out.append(tag("circle", tag("title", text(row["name"])), cx=number(x), cy=number(y),
                       r="4.5" if kind == "market" else "3.5", class_=f"node {kind}", data_t="nodes", data_i=i))
    return tag("g", "".join(out), class_="nodes")


def _plants(plants: pl.DataFrame, where: dict[str, tuple[float, float]]) -> str:
    """A square per plant, its side by the square root of its output."""
    top = float(plants["output_loads_per_day"].max() or 0.0)
    out = []
    for i, row in enumerate(plants.iter_rows(named=True)):
        x, y = where[row["id"]]
        side = 5.0 + 9.0 * math.sqrt(row["output_loads_per_day"] / top) if top > 0 else 5.0
        label = (f"{row['name']}: {number(row['output_loads_per_day'], 1)} loads/day, power "
                 f"{number(row['power_used_mw'], 1)} MW, water {number(row['water_used_m3_per_day'], 0)} m3/day")
        out.append(tag("rect", tag("title", text(label)), x=number(x - side / 2), y=number(y - side / 2),
                       width=number(side), height=number(side), class_="plant", data_t="plants", data_i=i))
    return tag("g", "".join(out), class_="plants")


def _crossings(crossings: pl.DataFrame, where: dict[str, tuple[float, float]]) -> str:
    """A circle per border crossing coloured by utilisation; a closed one hollow."""
    out = []
    for i, row in enumerate(crossings.iter_rows(named=True)):
        x, y = where[row["crossing"]]
        closed = row["closed"]
        label = f"{row['name']}: closed" if closed else (
            f"{row['name']}: utilisation {number(100 * (row['utilisation'] or 0.0), 1)} %, wait {number(row['wait_h'], 2)} h")
        out.append(tag("circle", tag("title", text(label)), cx=number(x), cy=number(y), r="5.5",
                       fill="#ffffff" if closed else
                       utilisation_color(row["utilisation"]), class_="crossing closed" if closed else "crossing",
                       data_t="crossings", data_i=i))
    return tag("g", "".join(out), class_="crossings")


def _legend(links: pl.DataFrame) -> str:
    """Modes, the width scale (the top link's loads and two round values below it), utilisation and symbols."""
    left, top = WIDTH - 218.0, HEIGHT - 282.0
    out = [tag("rect", x=number(left), y=number(top), width="210", height="262", class_="legend-box")]
    y = top + 16
    out.append(tag("text", "Links (colour: mode)", x=number(left + 8), y=number(y), class_="legend-title"))
    for mode, color in MODE_COLORS.items():
        y += 14
        out.append(tag("line", x1=number(left + 10), x2=number(left + 34), y1=number(y - 4), y2=number(y - 4),
                       stroke=color, stroke_width="3"))
        out.append(tag("text", text(mode), x=number(left + 40), y=number(y), class_="tick"))
    top_loads = float(links["loads_per_day"].max() or 0.0)
    y += 20
    out.append(tag("text", "Width: loads/day", x=number(left + 8), y=number(y), class_="legend-title"))
    for value in _width_samples(top_loads):
        y += 14
        width = MIN_W + (MAX_W - MIN_W) * math.sqrt(value / top_loads)
        out.append(tag("line", x1=number(left + 10), x2=number(left + 34), y1=number(y - 4), y2=number(y - 4),
                       stroke=OTHER_MODE, stroke_width=number(width, 2)))
        out.append(tag("text", text(grouped(value, 0)), x=number(left + 40), y=number(y), class_="tick"))
    y += 20
    out.append(tag("text", "Crossing utilisation", x=number(left + 8), y=number(y), class_="legend-title"))
    y += 6
    stops = "".join(tag("stop", offset=number(at / UTILISATION_STOPS[-1][0], 3), stop_color=utilisation_color(at))
                    for at, _ in UTILISATION_STOPS)
    out.append(tag("linearGradient", stops, id="util-ramp"))
    out.append(tag("rect", x=number(left + 10), y=number(y), width="150", height="8", fill="url(#util-ramp)"))
    for at, _ in UTILISATION_STOPS:
        out.append(tag("text", text(f"{at:.0%}"), x=number(left + 10 + 150 * at / UTILISATION_STOPS[-1][0]),
                       y=number(y + 20), class_="tick", text_anchor="middle"))
    y += 38
    for cls, label, shape in (("market", "market", "circle"), ("port", "seaport / origin", "circle"),
                              ("plant", "plant (size: output)", "rect"), ("closed", "closed crossing", "circle")):
        out.append(tag("circle", cx=number(left + 16), cy=number(y - 4), r="4.5",
                       class_=f"node {cls}" if cls != "closed" else "crossing closed") if shape == "circle" else
                   tag("rect", x=number(left + 11), y=number(y - 9), width="10", height="10", class_="plant"))
        out.append(tag("text", text(label), x=number(left + 30), y=number(y), class_="tick"))
        y += 14
    return tag("g", "".join(out), class_="legend")


def _width_samples(top: float) -> list[float]:
    """The top value and round values at about a half and a tenth of it."""
    if top <= 0:
        return []
    rounded = []
    for share in (0.1, 0.5):
        target = share * top
        power = 10 ** math.floor(math.log10(target))
        rounded.append(max(m * power for m in (1, 2, 5) if m * power <= target))
    return [*rounded, top]


def _scale_bar(view: Viewport) -> str:
    """A bar of a round number of km, true at the map's centre latitude."""
    km, length = view.scale_bar_km(0.18)
    x, y = PAD, HEIGHT - 18.0
    return tag("g", tag("path", d=f"M{number(x)} {number(y - 5)}V{number(y)}H{number(x + length)}V{number(y - 5)}",
                        class_="scale")
               + tag("text", text(f"{grouped(km, 0)} km (at {number(view.projection.lat0, 1)}° N)"),
                     x=number(x + length + 6), y=number(y), class_="tick"), class_="scale-bar")

