"""The registry of benchmark instances: seeded generators, each tagged with the suites it runs in.

An :class:`InstanceSpec` builds one `Network` deterministically. Families:

* ``builtin``: the US–Mexico network shipped with nearshore (4 commodities, power and water);
* ``corridor``: corridor networks shaped like the built-in one, one commodity, 1e3 to 1e6 links;
* ``corridor-scarce``: a corridor whose crossings carry 0.7x the demand (unmet demand and its reasons);
* ``corridor-multi``: the same with 5 or 10 commodities sharing capacities, with power rows;
* ``od-pairs``: corridor links shared by commodities given as origin-destination pairs, each
  plant and market attached to a hub by a free, uncapacitated link;
* ``netgen``: NETGEN-style min-cost-flow problems in DIMACS files (``benchmarks/instances``) or
  generated in memory, converted with :func:`networks.dimacs.network_from_dimacs`.

::

    from benchmarks.registry import REGISTRY, specs_for
    network = REGISTRY["corridor-1e4"].build()
    quick = specs_for("quick")
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import polars as pl

from benchmarks import SUITES
from networks import Network, read_network
from networks.dimacs import network_from_dimacs, read_dimacs
from networks.generate import corridor_network, netgen_like, od_pairs_network

INSTANCES_DIR = Path(__file__).parent / "instances"
SEED = 20261


@dataclass(frozen=True, slots=True)
class InstanceSpec:
    """One benchmark instance: how to build it and where it runs.

    ``links`` is the nominal size, used to order instances and to predict the time of slow peers;
    records carry the built network's real counts.
    """

    name: str
    family: str
    build: Callable[[], Network]
    links: int
    commodities: int
    suites: frozenset[str]
    description: str = ""


REGISTRY: dict[str, InstanceSpec] = {}


def register(spec: InstanceSpec) -> InstanceSpec:
    """Add ``spec`` to :data:`REGISTRY`.

    Raises
    ------
    ValueError
        If the name is taken or a suite is unknown.
    """
    if spec.name in REGISTRY:
        raise ValueError(f"benchmark instance {spec.name!r} is already registered")
    unknown = spec.suites - set(SUITES)
    if unknown:
        raise ValueError(f"benchmark instance {spec.name!r}: unknown suites {sorted(unknown)}, use {SUITES}")
    REGISTRY[spec.name] = spec
    return spec


def specs_for(suite: str) -> list[InstanceSpec]:
    """The instances of a suite, by family then size.

    Example
    -------
    >>> [s.name for s in specs_for("quick")][:2]
    ['builtin', 'corridor-1e3']
    """
    if suite not in SUITES:
        raise ValueError(f"unknown suite {suite!r}: use one of {', '.join(SUITES)}")
    chosen = [spec for spec in REGISTRY.values() if suite in spec.suites]
    return sorted(chosen, key=lambda s: (_FAMILY_ORDER.index(s.family), s.commodities, s.links))


_FAMILY_ORDER = ("builtin", "corridor", "corridor-scarce", "corridor-multi", "od-pairs", "netgen")
_BOTH, _FULL = frozenset(SUITES), frozenset({"full"})


def _label(n_links: int) -> str:
    exponent = len(str(n_links)) - 1
    return f"1e{exponent}" if n_links == 10**exponent else str(n_links)


def _announced_arcs(path: Path) -> int:
    """The arc count of a DIMACS file's problem line (without reading the arcs)."""
    with path.open(encoding="utf-8") as lines:
        return next(int(line.split()[3]) for line in lines if line.startswith("p "))


SCARCE_CROSSINGS = 0.35  # of the corridor's crossing throughput: 0.7x the demand crosses, the rest is unmet


def scarce_corridor(n_links: int) -> Network:
    """A corridor whose border crossings carry only 0.7x the total demand: unmet demand with reasons."""
    base = corridor_network(n_links=n_links, seed=SEED)
    nodes = base.nodes.with_columns((pl.col("throughput_loads_per_day") * SCARCE_CROSSINGS).round())
    return base.replace(nodes=nodes)


def _netgen_file(path: Path) -> Network:
    return network_from_dimacs(read_dimacs(path), name=path.stem)


def _netgen_memory(n_nodes: int, n_arcs: int) -> Network:
    problem = netgen_like(n_nodes=n_nodes, n_arcs=n_arcs, seed=SEED)
    return network_from_dimacs(problem, name=f"netgen-{n_nodes}-{n_arcs}")


register(InstanceSpec("builtin", "builtin", read_network, 567, 4, _BOTH,
                      "the built-in US–Mexico network (LP: 4 commodities, power and water rows)"))
for _links in (10**3, 10**4, 10**5, 10**6):
    register(InstanceSpec(
        f"corridor-{_label(_links)}", "corridor", partial(corridor_network, n_links=_links, seed=SEED), _links, 1,
        _BOTH if _links <= 10**4 else _FULL, "corridor network, one commodity (exact min-cost flow)"))
register(InstanceSpec("corridor-3e4-scarce", "corridor-scarce", partial(scarce_corridor, 30_000), 30_000, 1, _BOTH,
                      "corridor network, one commodity, crossings at 0.7x demand (unmet demand and its reasons)"))
for _links, _goods in ((10**3, 5), (10**4, 5), (10**5, 5), (10**3, 10), (10**4, 10), (10**5, 10)):
    register(InstanceSpec(
        f"corridor-{_label(_links)}x{_goods}", "corridor-multi",
        partial(corridor_network, n_links=_links, n_commodities=_goods, seed=SEED, with_power=True), _links, _goods,
        _BOTH if (_links, _goods) == (10**3, 5) else _FULL,
        f"corridor network, {_goods} commodities sharing capacities, plant power rows (LP)"))
for _links, _pairs in ((10**3, 10), (10**4, 20)):
    register(InstanceSpec(
        f"od-{_label(_links)}x{_pairs}", "od-pairs", partial(od_pairs_network, n_links=_links, n_pairs=_pairs, seed=SEED),
        _links, _pairs, _BOTH if _links <= 10**3 else _FULL,
        f"corridor links shared by {_pairs} origin-destination commodities (plant and market on free links)"))
for _path in sorted(INSTANCES_DIR.glob("*.min")):
    _size = _announced_arcs(_path)
    register(InstanceSpec(_path.stem, "netgen", partial(_netgen_file, _path), _size, 1,
                          _BOTH if _size <= 10_000 else _FULL, f"DIMACS file benchmarks/instances/{_path.name}"))
register(InstanceSpec("netgen-10000-100000", "netgen", partial(_netgen_memory, 10_000, 100_000), 100_000, 1, _FULL,
                      "NETGEN-style problem generated in memory (networks.generate.netgen_like)"))
