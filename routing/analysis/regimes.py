"""Shared shocks: one weekly Markov chain (normal / peak / disrupted) per shock domain.

Each domain of ``regimes.csv`` is a chain over weeks with the transition probabilities of its rows.
The domains are coupled through a common seasonal factor: in week ``w`` of the year the normal
state's chances of moving to peak or disrupted are multiplied by
``1 + seasonal_amplitude x cos(2 pi (w - peak_week) / 52)``, the same calendar for every domain, so
peaks cluster in the same weeks. A state scales the legs of its domain (``shock_domain`` of nodes
and links): ``time_scale`` multiplies their random time, ``event_scale`` their event
probabilities, and ``closure_prob`` / ``closure_h`` close a leg: a load finds it closed with that
chance and waits an exponential remaining closure of mean ``closure_h``.

A path of :data:`PATH_WEEKS` weeks is simulated once per seed; a shipment at hour ``t`` of the
path sees the states of week ``t // 168`` in every domain, so shipments in the same weeks share
their shocks, and consecutive weeks are persistent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import polars as pl

from networks import InputError, Network, Problem

STATES = ("normal", "peak", "disrupted")
PATH_WEEKS = 52 * 20  # twenty years of weeks: the path samples draw their week from
WEEKS_PER_YEAR = 52


@dataclass(frozen=True, slots=True)
class RegimeChains:
    """Per domain (rows, sorted by name) and state (columns, :data:`STATES`): the chain and the
    scales. ``transition[d, i, j]`` is the weekly chance of moving from state i to j."""

    domains: tuple[str, ...]
    transition: np.ndarray  # (D, 3, 3)
    time_scale: np.ndarray  # (D, 3)
    event_scale: np.ndarray  # (D, 3)
    closure_prob: np.ndarray  # (D, 3)
    closure_h: np.ndarray  # (D, 3)
    seasonal_amplitude: np.ndarray  # (D,)
    peak_week: np.ndarray  # (D,)


def read_regimes(network: Network) -> RegimeChains | None:
    """The chains of ``regimes.csv`` (None when the table is empty). A domain without a peak or a
    disrupted row stays in its normal state (a missing row is an absorbing-free copy of normal)."""
    table = network.regimes
    if table.height == 0:
        return None
    domains = tuple(sorted(table["domain"].unique().to_list()))
    shape = (len(domains), len(STATES))
    out = {name: np.zeros(shape) for name in ("time_scale", "event_scale", "closure_prob", "closure_h")}
    out["time_scale"][:], out["event_scale"][:] = 1.0, 1.0
    transition = np.zeros((len(domains), 3, 3))
    transition[:, :, 0] = 1.0  # a missing state returns to normal
    amplitude, week = np.zeros(len(domains)), np.zeros(len(domains))
    for row in table.iter_rows(named=True):
        d, s = domains.index(row["domain"]), STATES.index(row["state"])
        transition[d, s] = [row["to_normal"], row["to_peak"], row["to_disrupted"]]
        for name, table in out.items():
            table[d, s] = row[name]
        if s == 0:
            amplitude[d], week[d] = row["seasonal_amplitude"], row["peak_week"]
    return RegimeChains(domains, transition, **out, seasonal_amplitude=amplitude, peak_week=week)


def stationary(transition: np.ndarray) -> np.ndarray:
    """The stationary distribution ``pi = pi P`` of one (3, 3) chain (without season).

    Example
    -------
    >>> stationary(np.array([[0.9, 0.1, 0.0], [0.5, 0.5, 0.0], [1.0, 0.0, 0.0]])).round(4).tolist()
    [0.8333, 0.1667, 0.0]
    """
    values, vectors = np.linalg.eig(transition.T)
    pi = np.real(vectors[:, np.argmin(np.abs(values - 1))])
    return pi / pi.sum()


def simulate_regimes(chains: RegimeChains, weeks: int, rng: np.random.Generator) -> np.ndarray:
    """(domains, weeks) states: every domain's chain over ``weeks`` weeks from its stationary state,
    week 0 being the first week of the year; a loop over weeks, vectorised over domains."""
    n = len(chains.domains)
    state = np.array([rng.choice(3, p=np.clip(stationary(p), 0, None) / np.clip(stationary(p), 0, None).sum())
                      for p in chains.transition], dtype=np.int64)
    u = rng.random((weeks, n))
    season = 1 + chains.seasonal_amplitude[None, :] * np.cos(
        2 * np.pi * (np.arange(weeks)[:, None] % WEEKS_PER_YEAR - chains.peak_week[None, :]) / WEEKS_PER_YEAR)
    path = np.zeros((n, weeks), dtype=np.int8)
    rows = np.arange(n)
    for w in range(weeks):  # a loop over weeks (about a thousand), vectorised over domains
        p = chains.transition[rows, state].copy()
        normal = state == 0
        p[normal, 1:] *= season[w, normal, None]
        p[normal, 0] = 1 - p[normal, 1:].sum(axis=1)
        state = (u[w, :, None] > np.cumsum(p, axis=1)[:, :2]).sum(axis=1)
        path[:, w] = state
    return path


def check_regime_states(chains: RegimeChains | None, states: Mapping[str, str]) -> dict[int, int]:
    """Domain index -> state index of ``states`` (domain name -> state name, e.g. ``{"texas_border":
    "disrupted"}``); an unknown domain or state raises :class:`InputError` naming the valid ones.

    Example
    -------
    >>> from networks import read_network
    >>> chains = read_regimes(read_network())
    >>> check_regime_states(chains, {"texas_border": "disrupted"}) == {chains.domains.index("texas_border"): 2}
    True
    """
    known = chains.domains if chains is not None else ()
    problems = [Problem("regimes", f"unknown shock domain; the network's domains are {', '.join(known) or 'none'}",
                        field="domain", got=d) for d in states if d not in known]
    problems += [Problem("regimes", f"unknown state of {d}; use one of {', '.join(STATES)}", field="state", got=s)
                 for d, s in states.items() if s not in STATES]
    if problems:
        raise InputError(problems)
    return {known.index(d): STATES.index(s) for d, s in states.items()}


def force_states(path: np.ndarray, forced: Mapping[int, int]) -> np.ndarray:
    """A copy of the (domains, weeks) ``path`` with each forced domain held in its state every week
    (a what-if: "the Texas inspection regime is on"); the other domains keep their chains.

    >>> force_states(np.zeros((2, 3), dtype=np.int8), {1: 2}).tolist()
    [[0, 0, 0], [2, 2, 2]]
    """
    out = np.array(path, copy=True)
    for domain, state in forced.items():
        out[domain, :] = state
    return out


def domain_codes(network: Network, chains: RegimeChains | None) -> np.ndarray:
    """Per node then per link: the index of its shock domain in ``chains.domains``, or -1."""
    n = network.nodes.height + network.links.height
    if chains is None:
        return np.full(n, -1, dtype=np.int64)
    names = pl.concat([_domain(network.nodes), _domain(network.links)])
    lookup = {d: i for i, d in enumerate(chains.domains)}
    return np.array([lookup.get(d, -1) if d is not None else -1 for d in names.to_list()], dtype=np.int64)


def _domain(frame: pl.DataFrame) -> pl.Series:
    if "shock_domain" in frame.columns:
        return frame["shock_domain"].cast(pl.String)
    return pl.Series([None] * frame.height, dtype=pl.String)
