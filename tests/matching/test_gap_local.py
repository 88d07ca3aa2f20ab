"""GAP local search: the descent's moves keep every assignment feasible and never make it worse, reach
a local optimum of shifts and swaps, and the regret repair turns relaxed assignments into feasible ones."""

from __future__ import annotations

import itertools
import math
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.gap_instances import generate
from matching.gap import _Knapsacks, capacity_lagrangian, lagrangian_bound, lp_start, regret_start, repair, subgradient
from matching.gap_local import descend, regret_repair


def _arrays(instance):
    return (
        np.array(instance.cost, dtype=float),
        np.array(instance.resource, dtype=np.int64),
        np.array(instance.capacity, dtype=np.int64),
    )


def _feasible(assignment, resource, capacity):
    a = np.array(assignment)
    load = np.bincount(a, weights=resource[a, np.arange(a.size)], minlength=capacity.size)
    return bool((load <= capacity).all())


def _total(assignment, cost):
    return float(cost[np.array(assignment), np.arange(len(assignment))].sum())


def _improving_shift_or_swap(assignment, cost, resource, capacity):
    """Any feasible shift or swap that lowers the cost (plain loops, independent of the vectorized code)."""
    m, n = cost.shape
    a = list(assignment)
    load = np.zeros(m, dtype=np.int64)
    for j, i in enumerate(a):
        load[i] += resource[i, j]
    for j in range(n):
        for i in range(m):
            if i != a[j] and load[i] + resource[i, j] <= capacity[i] and cost[i, j] < cost[a[j], j] - 1e-9:
                return ("shift", j, i)
    for j, k in itertools.combinations(range(n), 2):
        x, y = a[j], a[k]
        if x == y:
            continue
        if (
            load[x] - resource[x, j] + resource[x, k] <= capacity[x]
            and load[y] - resource[y, k] + resource[y, j] <= capacity[y]
            and cost[y, j] + cost[x, k] < cost[x, j] + cost[y, k] - 1e-9
        ):
            return ("swap", j, k)
    return None


@pytest.mark.parametrize("kind", ["c", "d", "e"])
def test_descent_from_the_repaired_relaxation_is_feasible_better_and_locally_optimal(kind):
    instance = generate(kind, 8, 60, seed=3)
    cost, resource, capacity = _arrays(instance)
    bound, _, weights = capacity_lagrangian(cost, resource, capacity, math.inf, math.inf)
    chosen = np.zeros(cost.shape, dtype=bool)
    chosen[weights.argmin(axis=0), np.arange(instance.jobs)] = True
    start = regret_repair(weights, resource, capacity, chosen)
    assert start is None or _feasible(start, resource, capacity)
    # greedy packing may dead-end on tight instances: then the other starts of solve_gap
    start = start or repair(weights, resource, capacity)
    start = start or regret_start(resource / capacity[:, None], resource, capacity)
    assert start is not None
    better, moves = descend(cost, resource, capacity, start, math.inf, weight=weights)
    assert _feasible(better, resource, capacity)
    assert _total(better, cost) <= _total(start, cost)
    assert _total(better, cost) >= bound - 1e-6
    assert moves == 0 or _total(better, cost) < _total(start, cost)
    # with every agent on the candidate lists, no improving shift or swap is left
    full, _ = descend(cost, resource, capacity, better, math.inf, weight=None, near=instance.agents)
    assert _improving_shift_or_swap(full, cost, resource, capacity) is None


@settings(max_examples=25, deadline=None)
@given(
    kind=st.sampled_from("cde"),
    agents=st.integers(2, 6),
    jobs=st.integers(2, 30),
    seed=st.integers(0, 10_000),
)
def test_descent_never_breaks_capacity_nor_worsens(kind, agents, jobs, seed):
    instance = generate(kind, agents, jobs, seed)
    cost, resource, capacity = _arrays(instance)
    start = regret_start(cost, resource, capacity)
    if start is None:
        return
    better, _ = descend(cost, resource, capacity, start, math.inf)
    assert len(better) == jobs and all(0 <= i < agents for i in better)
    assert _feasible(better, resource, capacity)
    assert _total(better, cost) <= _total(start, cost)


def test_descent_stops_at_the_deadline():
    instance = generate("d", 20, 400, seed=4)
    cost, resource, capacity = _arrays(instance)
    start = regret_start(resource / capacity[:, None], resource, capacity)
    same, moves = descend(cost, resource, capacity, start, time.monotonic() - 1)
    assert same == start and moves == 0


def test_regret_repair_resolves_jobs_taken_twice_or_never():
    rng = np.random.default_rng(8)
    cost = rng.integers(10, 50, size=(5, 40)).astype(float)
    resource = rng.integers(5, 25, size=(5, 40))
    capacity = resource.sum(axis=1) // 4  # room for all at about 80 % load
    chosen = np.zeros(cost.shape, dtype=bool)
    chosen[:, :10] = True  # the first ten jobs taken by every agent, the others by none
    repaired = regret_repair(cost, resource, capacity, chosen)
    assert repaired is not None and len(repaired) == 40
    assert _feasible(repaired, resource, capacity)
    # a job taken by several agents stays with the cheapest of them (no agent is overloaded by ten jobs)
    assert all(repaired[j] == int(cost[:, j].argmin()) for j in range(10))


def test_regret_repair_reports_an_impossible_instance():
    resource = np.array([[5, 5, 5]], dtype=np.int64)
    capacity = np.array([9], dtype=np.int64)
    assert regret_repair(np.ones((1, 3)), resource, capacity, np.ones((1, 3), dtype=bool)) is None


def test_one_subgradient_helper_drives_both_relaxations():
    instance = generate("c", 5, 40, seed=2)
    cost, resource, capacity = _arrays(instance)
    lp, _, _ = capacity_lagrangian(cost, resource, capacity, math.inf, math.inf)
    knapsacks = _Knapsacks(resource, capacity)
    knapsack, _ = lagrangian_bound(knapsacks, cost, math.inf, math.inf, max_iterations=300)
    assert knapsack >= lp - 1e-6  # knapsacks per agent: at least as strong as the LP bound
    # a concave function: the helper climbs to its maximum, 0 at x = 3
    best, x = subgradient(
        lambda x: (-abs(float(x[0]) - 3.0), np.sign(3.0 - x)), np.zeros(1), math.inf, math.inf,
        iterations=500, step=1.0, stall_limit=10, min_step=1e-6, nonnegative=True,
    )
    assert best > -0.05 and abs(float(x[0]) - 3.0) < 0.05


@pytest.mark.parametrize("kind", ["c", "d"])
def test_the_rounded_lp_starts_next_to_the_bound_where_the_repaired_relaxation_does_not(kind):
    """Type C and D of 40 × 600: the LP rounded (then a short descent) is feasible and within 1 % of the LP
    bound, far closer than the repaired capacity relaxation or the regret constructions start."""
    instance = generate(kind, 40, 600, seed=11)
    cost, resource, capacity = _arrays(instance)
    bound, _, weights = capacity_lagrangian(cost, resource, capacity, math.inf, time.monotonic() + 5)
    start = lp_start(cost, resource, capacity, 30.0)
    assert start is not None and _feasible(start, resource, capacity)
    rounded, _ = descend(cost, resource, capacity, start, math.inf, weight=weights)
    assert _feasible(rounded, resource, capacity)
    assert bound - 1e-6 <= _total(rounded, cost) <= 1.01 * bound
    others = [repair(weights, resource, capacity), regret_start(weights, resource, capacity),
              regret_start(resource / capacity[:, None], resource, capacity)]
    assert all(_total(rounded, cost) < _total(other, cost) for other in others if other is not None)


def test_the_lp_start_gives_up_when_it_has_no_time():
    instance = generate("c", 5, 40, seed=1)
    cost, resource, capacity = _arrays(instance)
    assert lp_start(cost, resource, capacity, 0.0) is None
