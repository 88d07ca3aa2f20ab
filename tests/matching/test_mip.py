"""The MIP twin (matching.mip): HiGHS on the same model as CP-SAT, its solution checked row by row."""

from __future__ import annotations

import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ortools.sat.python import cp_model

from matching.mip import MipTwin


@st.composite
def boolean_models(draw):
    """Small models of the kinds the shift and GAP models use: at-most-one and exactly-one over
    literals (some negated), bool-or, and linear rows with both bounds, maximizing or minimizing."""
    n = draw(st.integers(2, 7))
    m = cp_model.CpModel()
    x = [m.new_bool_var(f"x{i}") for i in range(n)]

    def lit(i, neg):
        return ~x[i] if neg else x[i]

    for _ in range(draw(st.integers(0, 3))):
        members = draw(st.lists(st.integers(0, n - 1), min_size=2, max_size=n, unique=True))
        negs = draw(st.lists(st.booleans(), min_size=len(members), max_size=len(members)))
        kind = draw(st.sampled_from(["at_most_one", "exactly_one", "bool_or"]))
        lits = [lit(i, ng) for i, ng in zip(members, negs)]
        {"at_most_one": m.add_at_most_one, "exactly_one": m.add_exactly_one, "bool_or": m.add_bool_or}[kind](lits)
    for _ in range(draw(st.integers(0, 3))):
        members = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=n, unique=True))
        coefs = draw(st.lists(st.integers(-4, 6), min_size=len(members), max_size=len(members)))
        lo = draw(st.integers(-6, 3))
        hi = lo + draw(st.integers(0, 8))
        expr = cp_model.LinearExpr.weighted_sum([x[i] for i in members], coefs)
        m.add_linear_constraint(expr, lo, hi)
    weights = draw(st.lists(st.integers(-9, 9), min_size=n, max_size=n))
    objective = cp_model.LinearExpr.weighted_sum(x, weights) + draw(st.integers(-5, 5))
    if draw(st.booleans()):
        m.maximize(objective)
    else:
        m.minimize(objective)
    return m


def _property(examples: int):
    return settings(max_examples=examples, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])


def _one_worker(*, first_solution: bool = False) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.stop_after_first_solution = first_solution
    return solver


@_property(40)
@given(boolean_models())
def test_the_twin_proves_what_cp_sat_proves(model):
    solver = _one_worker()
    status = solver.solve(model)
    twin = MipTwin.of(model.proto)
    assert twin is not None
    twin.start(30.0)
    result = twin.result()
    if status == cp_model.INFEASIBLE:
        assert result.objective is None and not result.proven
        return
    assert status == cp_model.OPTIMAL
    assert result.proven
    # CP-SAT reports its objective as a float built from the scaled sum (−7 may read −6.999…)
    assert result.objective == result.bound == pytest.approx(solver.objective_value, abs=1e-6)
    assert twin.keeps_every_row(result.values)
    # the twin's solution, given to CP-SAT as fixed values, is a solution of the same value
    fixed = model.clone()
    for i, v in enumerate(result.values.tolist()):
        fixed.add(fixed.get_bool_var_from_proto_index(i) == v)
    assert cp_model.CpSolver().solve(fixed) == cp_model.OPTIMAL


def _hinted(model: cp_model.CpModel, values: list[int]) -> cp_model.CpModel:
    hinted = model.clone()
    for i, v in enumerate(values):
        hinted.add_hint(hinted.get_bool_var_from_proto_index(i), v)
    return hinted


@_property(25)
@given(boolean_models())
def test_given_a_whole_hint_the_twin_looks_only_for_as_good_and_proves_the_optimum_by_its_own_solution(model):
    first = _one_worker(first_solution=True)
    if first.solve(model) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return
    best = _one_worker()
    assert best.solve(model) == cp_model.OPTIMAL
    n = len(model.proto.variables)
    for solver in (first, best):  # a hint that may be beaten, and one that cannot be
        values = [int(solver.value(model.get_bool_var_from_proto_index(i))) for i in range(n)]
        twin = MipTwin.of(_hinted(model, values).proto)
        assert twin.hint is not None and twin.hint.tolist() == values
        twin.start(30.0)
        result = twin.result()
        assert result.proven
        assert result.objective == result.bound == pytest.approx(best.objective_value, abs=1e-6)
        assert twin.keeps_every_row(result.values)


def test_an_answer_without_a_solution_proves_nothing_even_beside_a_whole_hint():
    """HiGHS has called feasible programs infeasible: with the hint in hand, "none as good" is not a proof."""
    m = cp_model.CpModel()
    x = [m.new_bool_var("") for _ in range(3)]
    m.add_at_most_one(x)
    m.maximize(2 * x[0] + 3 * x[1] + x[2])
    twin = MipTwin.of(_hinted(m, [0, 1, 0]).proto)
    assert twin.hint is not None
    for proven, has_bound in ((False, False), (True, True)):
        result = twin._read(proven, has_bound, -3.0, None)
        assert not result.proven and result.objective is None and result.values is None


def test_a_hint_that_misses_a_variable_or_breaks_a_row_is_not_a_cutoff():
    m = cp_model.CpModel()
    x = [m.new_bool_var("") for _ in range(3)]
    m.add_at_most_one(x)
    m.maximize(2 * x[0] + 3 * x[1] + x[2])
    assert MipTwin.of(_hinted(m, [0, 1, 0]).proto).hint.tolist() == [0, 1, 0]
    assert MipTwin.of(_hinted(m, [1, 1, 0]).proto).hint is None  # two of the at-most-one
    partial = m.clone()
    partial.add_hint(partial.get_bool_var_from_proto_index(1), 1)
    assert MipTwin.of(partial.proto).hint is None
    assert MipTwin.of(m.proto).hint is None


def test_a_model_with_a_row_a_mip_cannot_state_exactly_has_no_twin():
    def model_with(add):
        m = cp_model.CpModel()
        a, b = m.new_bool_var("a"), m.new_bool_var("b")
        add(m, a, b)
        m.maximize(a + b)
        return m

    assert MipTwin.of(model_with(lambda m, a, b: m.add_at_most_one([a, b])).proto) is not None
    enforced = model_with(lambda m, a, b: m.add(a + b <= 1).only_enforce_if(a))
    assert MipTwin.of(enforced.proto) is None
    holes = model_with(lambda m, a, b: m.add_linear_expression_in_domain(a + b, cp_model.Domain.from_values([0, 2])))
    assert MipTwin.of(holes.proto) is None
    product = cp_model.CpModel()
    y = product.new_int_var(0, 4, "y")
    product.add_multiplication_equality(y, [product.new_int_var(0, 2, ""), product.new_int_var(0, 2, "")])
    product.maximize(y)
    assert MipTwin.of(product.proto) is None
    no_objective = cp_model.CpModel()
    no_objective.new_bool_var("a")
    assert MipTwin.of(no_objective.proto) is None


def test_a_solution_that_breaks_a_row_or_a_domain_does_not_count():
    m = cp_model.CpModel()
    x = [m.new_bool_var("") for _ in range(3)]
    m.add_at_most_one(x[:2])
    m.add(2 * x[1] + 3 * x[2] <= 4)
    m.add_bool_or([~x[0], x[2]])  # x0 → x2
    m.maximize(sum(x))
    twin = MipTwin.of(m.proto)
    assert twin.keeps_every_row(np.array([1, 0, 1]))
    assert not twin.keeps_every_row(np.array([1, 1, 0]))  # two of the at-most-one
    assert not twin.keeps_every_row(np.array([0, 1, 1]))  # 2 + 3 > 4
    assert not twin.keeps_every_row(np.array([1, 0, 0]))  # x0 without x2
    assert not twin.keeps_every_row(np.array([0, 0, 2]))  # outside the domain


def _assignment_model(agents: int, jobs: int, seed: int) -> cp_model.CpModel:
    """A generalized assignment of type D (hard for both solvers at this size)."""
    rng = np.random.default_rng(seed)
    r = rng.integers(1, 101, size=(agents, jobs))
    c = 111 - r + rng.integers(-10, 11, size=(agents, jobs))
    cap = (0.8 * r.sum(axis=1) / agents).astype(int)
    m = cp_model.CpModel()
    x = [[m.new_bool_var("") for _ in range(jobs)] for _ in range(agents)]
    for j in range(jobs):
        m.add_exactly_one([x[i][j] for i in range(agents)])
    for i in range(agents):
        m.add(cp_model.LinearExpr.weighted_sum(x[i], r[i].tolist()) <= int(cap[i]))
    m.minimize(cp_model.LinearExpr.weighted_sum([v for row in x for v in row], c.ravel().tolist()))
    return m


def test_stop_ends_the_search_at_once_or_after_a_grace_for_its_own_end():
    twin = MipTwin.of(_assignment_model(20, 400, 7).proto)
    twin.start(600.0)
    time.sleep(1.0)
    twin.stop()
    assert twin.result() is None  # ended: no outcome, rather than a search run for its 600 s
    timed = MipTwin.of(_assignment_model(20, 400, 7).proto)
    timed.start(1.5)
    timed.stop(grace=60.0)  # it ends by its own limit within the grace and reports
    result = timed.result()
    assert result is not None and not result.proven
    if result.objective is not None:  # what it had found is a solution of the model
        assert timed.keeps_every_row(result.values) and result.bound <= result.objective
    stopped_first = MipTwin.of(_assignment_model(5, 20, 7).proto)
    stopped_first.stop()
    stopped_first.start(600.0)
    assert stopped_first.result() is None  # asked to stop before it began: it never ran


def test_the_child_runs_this_file_alone_whatever_its_folder_or_import_path(monkeypatch):
    import subprocess

    from matching.mip import _CHILD

    # it loads the file by its path: not the package, and not through the import path
    listing = "print(sorted(k for k in sys.modules if k.startswith('matching')))"
    probe = [*_CHILD[:2], _CHILD[2].replace("m.child_main()", listing), _CHILD[3]]
    out = subprocess.run(probe, capture_output=True, text=True, cwd="/", check=True,
                         env={"PATH": "/usr/bin", "PYTHONPATH": "/nowhere"})
    assert out.stdout.strip() == "[]"
    monkeypatch.setenv("PYTHONPATH", "/nowhere")
    monkeypatch.chdir("/")  # a search started from another folder still runs and proves
    m = cp_model.CpModel()
    x = [m.new_bool_var("") for _ in range(3)]
    m.add_at_most_one(x)
    m.maximize(2 * x[0] + 3 * x[1] + x[2])
    twin = MipTwin.of(m.proto)
    twin.start(30.0)
    result = twin.result()
    assert result.proven and result.objective == 3


@pytest.mark.parametrize("threads", [1, 2])
def test_the_twin_searches_on_the_threads_it_is_given_and_proves_what_cp_sat_proves(threads):
    model = _assignment_model(4, 24, 5)
    solver = _one_worker()
    assert solver.solve(model) == cp_model.OPTIMAL
    twin = MipTwin.beside(model.proto, 60.0, on_proven=None, threads=threads)
    assert twin.threads == threads
    result = twin.result()
    assert result is not None and result.proven  # HiGHS took the setting: a bad one ends it with nothing
    assert result.objective == result.bound == pytest.approx(solver.objective_value, abs=1e-6)
    assert twin.keeps_every_row(result.values)
