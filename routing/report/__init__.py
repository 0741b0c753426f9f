"""One self-contained HTML page of a solve and of what was asked beside it (``nearshore report``).

:func:`build_report` is pure: result objects and frames in, the page as a string out. Writing it,
opening it and printing belong to :mod:`routing.cli`. The page draws the map (:mod:`.mapping` over
:mod:`.geo`), the charts (:mod:`.charts`) and tables (:mod:`.sections`) inline in SVG and HTML
(:mod:`.page`), and embeds every frame it shows as JSON.
"""

from __future__ import annotations

import hashlib
import platform
from datetime import datetime
from importlib import metadata
from typing import TYPE_CHECKING, Any

from routing.report.mapping import draw_map, map_frames
from routing.report.page import render_page
from routing.report.sections import (
    batch_section,
    bottlenecks_section,
    compare_section,
    disrupt_section,
    lanes_section,
    map_section,
    provenance_section,
    summary_section,
)

if TYPE_CHECKING:
    import polars as pl

    from networks import Network
    from routing.analysis.disrupt import DisruptionResult
    from routing.results.result import LeadTimeResult

VERSIONED = ("nearshore", "polars", "numpy", "ortools", "highspy", "networkx", "pydantic")
"""Distributions whose versions the provenance lists."""


def network_digest(network: Network) -> str:
    """A content hash of the network's tables (blake2b over their CSV text, table by table): the same
    for the same tables, whichever folder or scenario they came from."""
    digest = hashlib.blake2b(digest_size=16)
    for name, frame in network.tables().items():
        digest.update(name.encode() + b"\0" + frame.write_csv().encode())
    return digest.hexdigest()


def provenance(network: Network | None, *, created: datetime, command: str, solver: str | None = None,
               options: dict[str, Any] | None = None, inputs: dict[str, Any] | None = None) -> dict[str, Any]:
    """What produced a report: network name and content hash, solver, options, inputs, date, versions."""
    versions = {"python": platform.python_version()}
    for name in VERSIONED:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    rows: dict[str, Any] = {"command": command, "created": created.isoformat(timespec="seconds")}
    if network is not None:
        rows |= {"network": network.name, "network hash": network_digest(network),
                 "network size": f"{network.nodes.height} nodes, {network.links.height} links, "
                                 f"{network.commodities.height} commodities"}
    if solver is not None:
        rows["solver"] = solver
    return rows | ({"options": options} if options else {}) | (inputs or {}) | {"versions": versions}


def build_report(network: Network | None = None, result: LeadTimeResult | None = None, *,
                 compare: pl.DataFrame | None = None, batch: pl.DataFrame | None = None,
                 disrupt: DisruptionResult | None = None, provenance: dict[str, Any],
                 title: str = "nearshore report") -> str:
    """The report page as one HTML string.

    Parameters
    ----------
    network, result
        A solved network: gives the summary, map, lanes and bottlenecks sections (both or neither).
    compare
        :func:`routing.analysis.compare.compare_sourcing` rows with ``cdf_days``: the Asia vs Mexico section.
    batch
        A batch's summary frame (:func:`routing.batch.read_summary`): the batch section.
    disrupt
        A :class:`routing.analysis.disrupt.DisruptionResult`: the disruption section.
    provenance
        What produced it (:func:`provenance`), shown last and embedded.

    Returns
    -------
    str
        The page; its data script (``id="report-data"``) holds every frame shown.

    Raises
    ------
    ValueError
        When only one of ``network`` and ``result`` is given, or nothing to report.

    Example
    -------
    >>> from networks import read_network
    >>> from routing import solve_lead_time
    >>> from routing.report.page import read_page_data
    >>> net = read_network()
    >>> result = solve_lead_time(net)
    >>> html = build_report(net, result, provenance=provenance(net, created=datetime(2026, 12, 1), command="doc"))
    >>> read_page_data(html)["summary"]["served_loads_per_day"] == result.served_loads_per_day
    True
    """
    if (network is None) != (result is None):
        raise ValueError("build_report needs the network and its result together")
    if result is None and compare is None and batch is None and disrupt is None:
        raise ValueError("build_report: nothing to report (give a result, compare rows, a batch or a disruption)")
    sections: list[tuple[str, str, str]] = []
    data: dict[str, Any] = {"provenance": provenance}
    if result is not None:
        frames = map_frames(network, result)
        lanes_html, lanes_data = lanes_section(result.lanes)
        bottlenecks_html, bottlenecks_data = bottlenecks_section(result.bottlenecks, result.unmet)
        sections += [("summary", "Summary", summary_section(result.summary())),
                     ("map", "Map", map_section(draw_map(frames))), ("lanes", "Lanes", lanes_html),
                     ("bottlenecks", "Bottlenecks", bottlenecks_html)]
        data |= {"summary": result.summary(), "map": frames, **lanes_data, **bottlenecks_data}
    for anchor, name, made in _extras(compare, batch, disrupt):
        html, extra = made
        sections.append((anchor, name, html))
        data |= extra
    sections.append(("provenance", "Provenance", provenance_section(provenance)))
    subtitle = " · ".join(str(provenance[k]) for k in ("network", "command", "created") if k in provenance)
    return render_page(title=title, subtitle=subtitle, sections=sections, data=data)


def _extras(compare: pl.DataFrame | None, batch: pl.DataFrame | None,
            disrupt: DisruptionResult | None) -> list[tuple[str, str, tuple[str, dict[str, Any]]]]:
    """The optional sections that were asked for, in page order."""
    out = []
    if compare is not None:
        out.append(("compare", "Asia vs Mexico", compare_section(compare)))
    if batch is not None:
        out.append(("batch", "Batch", batch_section(batch)))
    if disrupt is not None:
        from routing.analysis.disrupt import daily_totals

        out.append(("disrupt", "Disruption", disrupt_section(daily_totals(disrupt.days), disrupt.recovery,
                                                             disrupt.horizon)))
    return out


__all__ = ["build_report", "network_digest", "provenance"]
