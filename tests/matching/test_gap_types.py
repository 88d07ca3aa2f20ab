"""GAP types C, D, E: the generator follows the published definitions, and every result of ours and of
the textbook CP-SAT model passes the checker, our bound below every assignment either finds."""

from __future__ import annotations

import itertools
import math
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ortools.sat.python import cp_model

from benchmarks.gap_instances import GRID, generate, to_text
from matching.gap import (
    capacity_lagrangian,
    read_orlib,
    regret_start,
    repair,
    solve_gap,
    solve_gap_plain,
    useful_pairs,
    weight_pair_bounds,
)
from tests.matching.checker_award import check_gap


def _arrays(instance):
    return (
        np.array(instance.cost, dtype=np.int64),
        np.array(instance.resource, dtype=np.int64),
        np.array(instance.capacity, dtype=np.int64),
    )


@pytest.mark.parametrize("kind", ["c", "d", "e"])
@pytest.mark.parametrize("agents, jobs", [(5, 100), (20, 200), (10, 400)])
def test_generator_follows_the_definitions(kind, agents, jobs):
    instance = generate(kind, agents, jobs, seed=11)
    cost, resource, capacity = _arrays(instance)
    assert cost.shape == resource.shape == (agents, jobs) and capacity.shape == (agents,)
    if kind == "c":
        assert resource.min() >= 5 and resource.max() <= 25
        assert cost.min() >= 10 and cost.max() <= 50
        assert len(np.unique(resource)) == 21  # the whole range is drawn, both ends included
    elif kind == "d":
        assert resource.min() >= 1 and resource.max() <= 100
        noise = cost - (111 - resource)
        assert noise.min() >= -10 and noise.max() <= 10
        assert len(np.unique(noise)) == 21
    else:
        # r = ⌊1 − 10 ln x⌋, x in (0, 1]; c = ⌊1000 / r_exact − 10 y⌋, r ≤ r_exact < r + 1, y in [0, 1)
        assert resource.min() >= 1
        assert (cost <= 1000 / resource).all()
        assert (cost >= 1000 / (resource + 1) - 11).all()
        assert 9 < resource.mean() < 12  # E[1 − 10 ln x] = 11
    expected = np.floor(0.8 * resource.sum(axis=1) / agents).astype(np.int64)
    if kind == "e":
        expected = np.maximum(expected, resource.max(axis=1))
    assert (capacity == expected).all()


def test_generator_is_seeded_and_reads_back():
    first = generate("d", 10, 100, seed=3)
    assert generate("d", 10, 100, seed=3) == first
    assert generate("d", 10, 100, seed=4).cost != first.cost
    assert generate("e", 10, 100, seed=3).cost != generate("c", 10, 100, seed=3).cost
    assert first.name == "d10100s3"
    (back,) = read_orlib(to_text(first))
    assert (back.cost, back.resource, back.capacity) == (first.cost, first.resource, first.capacity)
    assert (5, 100) in GRID and (80, 1600) in GRID and len(GRID) == 15


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kind=st.sampled_from("cde"),
    agents=st.integers(2, 6),
    jobs=st.integers(4, 40),
    seed=st.integers(0, 10_000),
    maximize=st.booleans(),
)
def test_every_result_passes_the_checker(kind, agents, jobs, seed, maximize):
    instance = generate(kind, agents, jobs, seed)
    ours = solve_gap(instance, maximize=maximize, time_limit=3, workers=2, seed=seed)
    plain = solve_gap_plain(instance, maximize=maximize, time_limit=3, workers=2, seed=seed)
    ours_total = check_gap(instance, ours)
    plain_total = check_gap(instance, plain)
    if ours_total is not None and plain_total is not None and ours.bound is not None:
        # our bound holds for every assignment, the textbook model's included
        assert (ours.bound >= plain_total) if maximize else (ours.bound <= plain_total)
    if ours.status == "OPTIMAL" and plain.status == "OPTIMAL":
        assert ours_total == plain_total


def _brute_force(instance):
    cost, resource, capacity = _arrays(instance)
    best = None
    for assignment in itertools.product(range(instance.agents), repeat=instance.jobs):
        load = np.zeros(instance.agents, dtype=np.int64)
        for j, i in enumerate(assignment):
            load[i] += resource[i, j]
        if (load <= capacity).all():
            total = int(sum(cost[i, j] for j, i in enumerate(assignment)))
            best = total if best is None else min(best, total)
    return best


@settings(max_examples=15, deadline=None)
@given(
    kind=st.sampled_from("cde"), agents=st.integers(2, 3), jobs=st.integers(2, 7), seed=st.integers(0, 10_000)
)
def test_capacity_relaxation_bound_and_fixing_keep_the_optimum(kind, agents, jobs, seed):
    instance = generate(kind, agents, jobs, seed)
    optimum = _brute_force(instance)
    cost, resource, capacity = _arrays(instance)
    relaxed = capacity_lagrangian(cost.astype(float), resource, capacity, math.inf, math.inf)
    bound, multipliers, weights = relaxed
    assert (multipliers >= 0).all()
    if optimum is None:
        return
    assert bound <= optimum + 1e-6
    # every optimal assignment survives the fixing against an upper bound at the optimum
    with_in, with_out = weight_pair_bounds(bound, weights)
    keep = useful_pairs(with_in, with_out, optimum, 1e-6)
    optimal = solve_gap(instance, time_limit=10)
    assert optimal.status == "OPTIMAL" and optimal.objective == optimum
    assert all(keep[i, j] for j, i in enumerate(optimal.assignment))


@pytest.mark.parametrize("kind", ["c", "d", "e"])
def test_starts_are_feasible(kind):
    instance = generate(kind, 20, 200, seed=5)
    cost, resource, capacity = _arrays(instance)
    _, _, weights = capacity_lagrangian(cost.astype(float), resource, capacity, math.inf, math.inf)
    for start in (repair(weights, resource, capacity), regret_start(weights, resource, capacity)):
        if start is None:
            continue
        load = np.bincount(start, weights=resource[start, np.arange(200)], minlength=20)
        assert (load <= capacity).all()


@pytest.mark.parametrize(
    "kind, agents, jobs, maximize",
    [
        ("e", 20, 150, False),  # knapsack Lagrangian, neighbourhood search, CP-SAT rounds
        ("d", 30, 300, False),  # knapsack tables too large: capacity relaxation and neighbourhood search
        ("c", 20, 150, True),
    ],
)
def test_larger_instances_pass_the_checker_and_bound_the_textbook_model(kind, agents, jobs, maximize):
    instance = generate(kind, agents, jobs, seed=99)
    ours = solve_gap(instance, maximize=maximize, time_limit=4, workers=2)
    plain = solve_gap_plain(instance, maximize=maximize, time_limit=4, workers=2)
    total = check_gap(instance, ours)
    plain_total = check_gap(instance, plain)
    assert total is not None
    assert "neighbourhoods" in ours.stats  # the reduced phase was reached
    if maximize:
        assert ours.bound >= total and ours.stats["lp_bound"] >= total
        assert plain_total is None or ours.bound >= plain_total
    else:
        assert ours.bound <= total and ours.stats["lp_bound"] <= total
        assert plain_total is None or ours.bound <= plain_total


def test_the_uninterrupted_search_of_a_small_model_gets_no_hint_and_the_rounds_before_it_do(monkeypatch):
    """A hinted search keeps returning to the hint's neighbourhood: the last, uninterrupted round on a
    small model searches unhinted (the best so far still counts), the interrupted rounds carry the best."""
    from matching import gap

    hints = []
    build = gap._gap_model

    def recording(instance, cost, pairs, state, hint=True):
        model, x = build(instance, cost, pairs, state, hint)
        hints.append((len(pairs), len(model.Proto().solution_hint.vars)))
        return model, x

    monkeypatch.setattr(gap, "_gap_model", recording)
    instance = generate("e", 10, 200, seed=5)
    result = gap.solve_gap(instance, time_limit=4, workers=2, seed=0)
    check_gap(instance, result.to_dict())
    whole, *reduced = hints
    assert whole == (2000, 2000)  # the first round, on the whole model, starts from the best
    assert reduced and all(pairs < 2000 and hinted == 0 for pairs, hinted in reduced)
    assert result.objective <= result.stats["heuristic_objective"]


@pytest.mark.parametrize("seed", [3, 8, 21])
def test_near_the_bound_each_round_searches_what_can_cost_at_most_the_bound_and_raises_it_or_proves(seed):
    """Near the Lagrangian bound, a round holds only the pairs an assignment costing at most the bound can use
    (no more than at the best so far), and either proves its optimum or raises the bound by one, never past
    the true optimum (the textbook model's, proven); within PROVE_IN_ONE_WITHIN of the best it holds what can
    cost at most the best less one and proves; the rounds, from a first assignment, end at the optimum."""
    from matching import gap

    instance = generate("c", 5, 60, seed=seed)
    optimum = solve_gap_plain(instance, time_limit=30, workers=2, seed=0)
    assert optimum.status == "OPTIMAL"
    c, resource, capacity = (np.array(a, dtype=float) for a in _arrays(instance))
    state = gap._State(instance, 1, 0.0, None)
    relax = capacity_lagrangian(c, resource, capacity, math.inf, math.inf)
    everything = [(i, j) for i in range(instance.agents) for j in range(instance.jobs)]
    gap._cp_sat(instance, instance.cost, everything, state, 30, 1, 0, stop_below=math.inf)  # a first assignment
    red = gap._Reduction(instance, instance.cost, state, {}, math.inf, 5, start=relax[2].min(axis=0))
    stats, smaller = {"rounds": []}, []
    while state.lower < state.upper:
        lower, upper, at_best = state.lower, state.upper, len(red.pairs(state))
        near_best = upper - lower <= gap.PROVE_IN_ONE_WITHIN
        gap._at_the_bound(instance, instance.cost, red, state, stats, math.inf, 2, 0)
        searched = stats["rounds"][-1]["variables"]
        assert searched == len(red.pairs_below(upper - 1 if near_best else lower)) <= at_best
        smaller.append(searched < at_best)
        assert lower < state.lower <= optimum.objective
        assert state.lower == state.upper if near_best else state.lower in (lower + 1, state.upper)
    assert smaller[0] and state.upper == state.lower == optimum.objective
    assert check_gap(instance, {"status": "OPTIMAL", "objective": state.upper, "bound": state.lower,
                                "assignment": state.assignment, "sense": "min"}) == optimum.objective


class _EveryPair:
    """A reduction that fixes nothing."""

    def __init__(self, instance):
        self.instance = instance

    def pairs_below(self, value):
        return [(i, j) for i in range(self.instance.agents) for j in range(self.instance.jobs)]


def test_in_a_round_at_the_bound_highs_proves_it_and_stops_cp_sat(monkeypatch):
    """HiGHS searches the round's model beside CP-SAT: its proven optimum, checked row by row, is the
    round's answer (an assignment and the bound), and its proof stops the CP-SAT searches."""
    from matching import gap

    waited = []

    def cp_sat_finding_nothing(model, x, state, seconds, workers, seed, stop_below, stop=None):
        waited.append((workers, stop.wait(60)))  # until HiGHS proves
        return cp_model.UNKNOWN, None

    monkeypatch.setattr(gap, "_portfolio", cp_sat_finding_nothing)
    instance = generate("c", 5, 60, seed=8)
    optimum = solve_gap_plain(instance, time_limit=30, workers=2, seed=0)
    assert optimum.status == "OPTIMAL"
    state = gap._State(instance, 1, 0.0, None)
    state.raise_lower(optimum.objective)  # the bound is the optimum: the round finds and proves it
    stats = {"rounds": []}
    gap._at_the_bound(instance, instance.cost, _EveryPair(instance), state, stats, time.monotonic() + 60, 2, 0)
    assert waited == [(1, True)]  # CP-SAT kept one worker and was stopped by HiGHS's proof
    assert stats["rounds"][-1]["status"] == "OPTIMAL"
    assert state.upper == state.lower == optimum.objective
    assert check_gap(instance, {"status": "OPTIMAL", "objective": state.upper, "bound": state.lower,
                                "assignment": state.assignment, "sense": "min"}) == optimum.objective


def test_an_unproven_highs_answer_leaves_the_rounds_cp_sat_outcome_as_it_was():
    from matching import gap
    from matching.mip import TwinResult

    instance = generate("c", 5, 60, seed=8)
    state = gap._State(instance, 1, 0.0, None)
    x = {}
    for found in (None, TwinResult(False, 812.0, 800.0, np.zeros(0, dtype=np.int64))):
        assert gap._with_highs(found, x, state, cp_model.FEASIBLE, 790.5) == (cp_model.FEASIBLE, 790.5)
    assert state.assignment is None


def test_a_round_away_from_the_bound_ends_once_its_best_comes_near_it_and_the_rounds_at_the_bound_go_on(monkeypatch):
    """Also the uninterrupted rounds of a small model stop once the best is within NEAR_BOUND units of the
    lower bound; from there only rounds at the bound run."""
    from matching import gap

    calls = []
    cp_sat, at_the_bound = gap._cp_sat, gap._at_the_bound

    def spy_cp_sat(instance, cost, pairs, state, seconds, workers, seed, stop_below=None, **kw):
        calls.append(("round", state.lower, stop_below))
        return cp_sat(instance, cost, pairs, state, seconds, workers, seed, stop_below, **kw)

    def spy_at_the_bound(instance, cost, red, state, *args):
        calls.append(("at the bound", state.lower, None))
        return at_the_bound(instance, cost, red, state, *args)

    monkeypatch.setattr(gap, "_cp_sat", spy_cp_sat)
    monkeypatch.setattr(gap, "_at_the_bound", spy_at_the_bound)
    instance = generate("e", 10, 200, seed=5)
    result = gap.solve_gap(instance, time_limit=6, workers=2, seed=0)
    assert check_gap(instance, result.to_dict()) == result.objective
    rounds = [(lower, stop) for kind, lower, stop in calls[1:] if kind == "round"]  # after the first, whole model
    assert rounds and all(stop is not None and stop >= lower + gap.NEAR_BOUND for lower, stop in rounds)
    kinds = [kind for kind, _, _ in calls]
    if "at the bound" in kinds:
        assert "round" not in kinds[kinds.index("at the bound"):]
