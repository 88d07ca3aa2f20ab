"""The schedule bound (matching.schedules): each volunteer's best week at given prices equals brute
force, the bound holds the optimum, and at a flow's slot prices it is never above the flow's bound."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.generate_shifts import generate
from matching import schedules, shifts_core
from matching.shifts import parse_shift_problem, solve_shifts
from tests.matching.test_shifts_property import brute_force, small_problems


def _compiled(data):
    cp = shifts_core.Compiled(parse_shift_problem(data))
    return cp, shifts_core.build_pairs(cp)


def _best_by_brute_force(cp, pr, profit: np.ndarray) -> dict[int, float]:
    """Per volunteer, the most any set of its pairs is worth that keeps rules 6 and 7."""
    best = {}
    for v in np.unique(pr.pv).tolist():
        mine = np.nonzero(pr.pv == v)[0].tolist()
        top = 0.0
        for r in range(1, len(mine) + 1):
            for combo in itertools.combinations(mine, r):
                sh = [int(pr.ps[p]) for p in combo]
                if any(cp.conflict(a, b) for a, b in itertools.combinations(sh, 2)):
                    continue
                if cp.vmax[v] >= 0 and int(cp.sdur[sh].sum()) > cp.vmax[v]:
                    continue
                top = max(top, float(profit[list(combo)].sum()))
        best[v] = top
    return best


def _with_profits(data, draw):
    """The problem's compiled arrays and pairs, and a profit drawn for each pair (None: no pairs)."""
    cp, pr = _compiled(data)
    if not pr.P:
        return None
    profit = np.array(draw.draw(st.lists(st.integers(-20, 60), min_size=pr.P, max_size=pr.P)), dtype=float)
    return cp, pr, profit


def _best_by_dynamic_programme(cp, pr, profit) -> tuple[dict, schedules.Schedules]:
    sched = schedules.Schedules(cp, pr, np.arange(pr.P))
    return dict(zip(sched.volunteers.tolist(), sched.best_values(profit).tolist())), sched


@settings(max_examples=80, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_problems(), st.data())
def test_each_volunteers_best_schedule_matches_brute_force(data, draw):
    drawn = _with_profits(data, draw)
    if drawn is None:
        return
    assert _best_by_dynamic_programme(*drawn)[0] == _best_by_brute_force(*drawn)


@settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_problems(), st.data())
def test_coarser_hour_units_only_loosen_the_schedules(data, draw):
    drawn = _with_profits(data, draw)
    if drawn is None:
        return
    exact = _best_by_brute_force(*drawn)
    saved = schedules.MAX_HOUR_UNITS
    schedules.MAX_HOUR_UNITS = 1
    try:
        coarse, sched = _best_by_dynamic_programme(*drawn)
    finally:
        schedules.MAX_HOUR_UNITS = saved
    assert sched.units <= 1
    assert all(coarse[v] >= exact[v] for v in exact)


def _flow_and_schedule_bounds(cp, pr):
    idx = np.arange(pr.P)
    idx = idx[pr.score[idx] > 0]
    net = shifts_core._FlowNetwork(cp, pr, idx, shifts_core.stab_points(cp))
    value, flow = net.solve(np.zeros(net.nv))
    pair_price, places_priced = net.slot_prices(flow)
    return value, schedules.schedule_bound(cp, pr, idx, pair_price, places_priced), (net, flow)


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_problems())
def test_the_schedule_bound_holds_the_optimum_and_is_never_above_the_flows(data):
    cp, pr = _compiled(data)
    if not (pr.score > 0).any():
        return
    flow_value, bound, _ = _flow_and_schedule_bounds(cp, pr)
    best = brute_force(data)
    assert bound <= flow_value
    if best is not None:
        assert best <= bound


def test_the_slot_prices_are_the_flows_potentials():
    """No residual arc of the optimal flow can shorten a distance any more (a Bellman–Ford fixed
    point), so the prices are an optimal dual of the flow's slot capacities."""
    cp, pr = _compiled(generate(250, 100, 1))
    _, _, (net, flow) = _flow_and_schedule_bounds(cp, pr)
    flows = flow.all()
    dist = schedules.residual_distances(net.tails, net.heads, net.caps, flow.costs, flows, net.SRC, net.n_nodes)
    assert dist[net.SRC] == 0 and np.isfinite(dist[net.SNK])
    for usable, tail, head, cost in (
        (flows < net.caps, net.tails, net.heads, flow.costs),
        (flows > 0, net.heads, net.tails, -flow.costs),
    ):
        t, h, c = tail[usable], head[usable], cost[usable].astype(float)
        reached = np.isfinite(dist[t])
        assert np.all(dist[h][reached] <= dist[t][reached] + c[reached] + 1e-9)


def test_on_tight_supply_the_schedule_bound_is_below_the_flows():
    """2.5 volunteers a shift: the flow lets volunteers take more hours than they have; their
    schedules priced exactly come closer to the proven optimum (here 594,990 against 597,298 for
    an optimum of 569,811; on the tight street tier they close two thirds of the flow's gap)."""
    data = generate(250, 100, 1)
    cp, pr = _compiled(data)
    flow_value, bound, _ = _flow_and_schedule_bounds(cp, pr)
    result = solve_shifts(parse_shift_problem(data), time_limit=20, workers=1, seed=1).to_dict()
    assert result["status"] == "OPTIMAL"
    assert result["objective"] <= bound < flow_value


@pytest.mark.parametrize("schedules_on", [False, True])
def test_flow_bound_returns_the_smaller_of_the_two(schedules_on):
    cp, pr = _compiled(generate(250, 100, 1))
    flow_value, bound, _ = _flow_and_schedule_bounds(cp, pr)
    got = shifts_core.flow_bound(
        cp, pr, np.arange(pr.P), shifts_core.stab_points(cp), max_iter=1, schedules=schedules_on
    )
    assert got == (min(flow_value, bound) if schedules_on else flow_value)
