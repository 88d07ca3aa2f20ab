"""The schedule bound: the shift problem's slot capacities priced, each volunteer's week then solved
exactly (docs/contract.md, rules 5–7).

With a price μ_g ≥ 0 on every slot group g, relaxing "a group holds at most its places" splits the
problem by volunteer: each takes the schedule of candidate shifts worth most at the prices, a pair
being worth its score less the cheapest price among the groups it may fill. The schedule keeps the
volunteer's rules exactly: no two of its shifts conflict (Compiled.conflict: they overlap or leave
less than the rest between them) and its minutes stay within the limit. For every μ ≥ 0,

    bound(μ) = Σ_g μ_g × places_g + Σ_v (the best schedule of v at μ)

is at least the best objective (min staffing and pins are dropped, which only loosens it).

At the slot prices of an optimal flow of ``shifts_core.flow_bound`` (its network's potentials) this
bound is never above the flow's own: the flow allows each volunteer every set of shifts that fits
its "one shift per time point" and "so many shifts" arcs, a superset of its true schedules. Measured
on the tight tiers it is well below: street (2,000 × 800, seed 1) 6,177,335 against the flow's
6,195,001 and the proven optimum 6,161,496; district (20,000 × 8,000, seed 0) 63.67 M against 63.83 M.

Each volunteer's best schedule is a weighted interval scheduling with a knapsack on minutes, solved
by dynamic programming over the volunteer's pairs in order of end, for all volunteers at once (one
numpy step per position in the volunteers' lists).
"""

from __future__ import annotations

import math

import numpy as np

MAX_HOUR_UNITS = 48  # the minutes' knapsack in at most this many units (coarser units only loosen it)


def residual_distances(tails, heads, caps, costs, flows, source: int, n_nodes: int) -> np.ndarray:
    """Shortest distances from ``source`` in the residual network of an optimal min-cost flow (no
    negative cycle), by Bellman–Ford rounds over all arcs at once; inf where nothing reaches."""
    fwd, bwd = flows < caps, flows > 0
    tail = np.concatenate([tails[fwd], heads[bwd]]).astype(np.int64)
    head = np.concatenate([heads[fwd], tails[bwd]]).astype(np.int64)
    cost = np.concatenate([costs[fwd], -costs[bwd]]).astype(np.float64)
    order = np.argsort(head, kind="stable")
    tail, head, cost = tail[order], head[order], cost[order]
    dist = np.full(n_nodes, np.inf)
    dist[source] = 0.0
    if not len(head):
        return dist
    starts = np.flatnonzero(np.concatenate([[True], head[1:] != head[:-1]]))
    reached = head[starts]
    for _ in range(n_nodes):
        best_in = np.minimum.reduceat(dist[tail] + cost, starts)
        new = np.minimum(dist[reached], best_in)
        if np.array_equal(new, dist[reached]):
            break
        dist[reached] = new
    return dist


class Schedules:
    """The pairs ``idx`` laid out for the per-volunteer dynamic programme.

    Pairs are sorted by volunteer, then by end; ``before[k]`` is the row of the last earlier pair of
    the same volunteer that pair k does not conflict with (or the volunteer's empty row). Minutes
    are in units of their greatest common divisor, coarsened (durations rounded down, limits too)
    to at most MAX_HOUR_UNITS: a schedule within its minutes stays within its units."""

    def __init__(self, cp, pr, idx: np.ndarray):
        pv, ps = pr.pv[idx], pr.ps[idx]
        origin = int(cp.sst.min()) if cp.S else 0
        ready = cp.free_at[ps] - origin  # when the volunteer may start the next shift (rule 6)
        self.order = order = np.lexsort((ready, pv))
        pv, ps, ready = pv[order], ps[order], ready[order]
        start = cp.sst[ps] - origin
        self.volunteers, vloc = np.unique(pv, return_inverse=True)
        nv, n = len(self.volunteers), len(idx)
        first = np.searchsorted(vloc, np.arange(nv))
        self.count = np.bincount(vloc, minlength=nv)
        span = int(ready.max()) + 1 if n else 1
        last_free = np.searchsorted(vloc * span + ready, vloc * span + start, side="right") - 1
        self.empty_row = first + np.arange(nv)  # one empty row per volunteer, before its pairs
        self.row = np.arange(n) + vloc + 1
        self.before = np.where(last_free >= first[vloc], last_free + vloc + 1, self.empty_row[vloc])
        self.n_rows = n + nv
        position = np.arange(n) - first[vloc]
        by_position = np.argsort(position, kind="stable")
        cuts = np.cumsum(np.bincount(position, minlength=int(self.count.max()) if n else 0))[:-1]
        self.steps = np.split(by_position, cuts) if n else []
        self._hour_units(cp, ps, vloc)

    def _hour_units(self, cp, ps: np.ndarray, vloc: np.ndarray) -> None:
        dur = cp.sdur[ps]
        limit = cp.vmax[self.volunteers]
        limited = limit >= 0
        unit = math.gcd(*(int(x) for x in np.unique(np.concatenate([dur, limit[limited]])) if x > 0)) or 1
        top = int(limit[limited].max()) if limited.any() else 0
        if top // unit > MAX_HOUR_UNITS:
            unit = -(-top // MAX_HOUR_UNITS)
        self.units = top // unit
        self.dur_units = np.where(limited[vloc], dur // unit, 0).astype(np.int64)
        self.limit_units = np.where(limited, limit // unit, 0).astype(np.int64)

    def best_values(self, profit: np.ndarray) -> np.ndarray:
        """Per volunteer (in ``self.volunteers`` order), the most its schedule is worth when pair k
        (of the ``idx`` given) is worth ``profit[k]``; pairs worth nothing are never taken."""
        profit = profit[self.order]
        h = np.arange(self.units + 1)
        value = np.zeros((self.n_rows, self.units + 1))
        for step in self.steps:
            row, d = self.row[step], self.dur_units[step]
            src = h[None, :] - d[:, None]
            take = value[self.before[step][:, None], np.maximum(src, 0)] + profit[step][:, None]
            take = np.where((src >= 0) & (profit[step][:, None] > 0), take, -np.inf)
            value[row] = np.maximum(value[row - 1], take)
        return value[self.empty_row + self.count, self.limit_units]


def schedule_bound(cp, pr, idx: np.ndarray, pair_price: np.ndarray, places_priced: float) -> int:
    """bound(μ) (module docstring) for the pairs ``idx``: ``pair_price[k]`` is the cheapest slot
    price pair idx[k] may fill, ``places_priced`` is Σ_g μ_g × places_g."""
    profit = pr.score[idx] - pair_price
    worth = profit > 1e-9
    sched = Schedules(cp, pr, idx[worth])
    total = float(sched.best_values(profit[worth]).sum()) + places_priced
    return int(math.floor(total + 1e-6))
