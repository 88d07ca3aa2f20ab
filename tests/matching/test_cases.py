"""Case assignment: rules, objective against brute force, reasons."""
import itertools

import pytest
from hypothesis import given, settings, strategies as st

from matching.cases import CaseNeed, CaseProblem, CaseWorker, pair_score, parse_case_problem, solve_cases
from matching.errors import BadInput
from matching.geo import haversine_km

HERE = (31.23, 121.47)


def _allowed(problem, need, worker):
    limit = min(x for x in (problem.max_travel_km, worker.max_travel_km, float("inf")) if x is not None)
    return (worker.level >= need.min_level and (not worker.sectors or need.sector in worker.sectors)
            and haversine_km(need.location, worker.location) <= limit
            and (need.id, worker.id) not in problem.forbids)


def check(problem, result):
    needs = {n.id: n for n in problem.needs}
    workers = {w.id: w for w in problem.workers}
    load = {}
    seen = set()
    total = 0
    for a in result.assignments:
        assert a.need not in seen, "a need assigned twice"
        seen.add(a.need)
        assert _allowed(problem, needs[a.need], workers[a.worker]), (a.need, a.worker)
        load[a.worker] = load.get(a.worker, 0) + 1
        total += pair_score(needs[a.need], workers[a.worker])
    for worker_id, count in load.items():
        assert count <= workers[worker_id].capacity
    for pin in problem.pins:
        assert (pin[0], pin[1]) in {(a.need, a.worker) for a in result.assignments}
    assert total == result.objective
    assert result.bound >= result.objective
    return total


def brute_force(problem):
    options = []
    for need in problem.needs:
        options.append([None] + [w.id for w in problem.workers if _allowed(problem, need, w)])
    best = None
    workers = {w.id: w for w in problem.workers}
    for choice in itertools.product(*options):
        load = {}
        for worker_id in choice:
            if worker_id is not None:
                load[worker_id] = load.get(worker_id, 0) + 1
        if any(load[w] > workers[w].capacity for w in load):
            continue
        if any(dict(zip([n.id for n in problem.needs], choice)).get(n) != w for n, w in problem.pins):
            continue
        value = sum(pair_score(n, workers[w]) for n, w in zip(problem.needs, choice) if w is not None)
        best = value if best is None else max(best, value)
    return best


def test_urgent_need_gets_the_only_free_worker_and_the_other_is_explained():
    problem = CaseProblem(
        needs=(CaseNeed("n1", 1, HERE), CaseNeed("n2", 4, (31.231, 121.47))),
        workers=(CaseWorker("w1", 2, HERE, capacity=1),))
    result = solve_cases(problem, time_limit=5)
    assert result.status == "OPTIMAL"
    assert [(a.need, a.worker) for a in result.assignments] == [("n2", "w1")]
    assert [r.code for r in result.unassigned[0].reasons] == ["case_caseload_full"]
    check(problem, result)


def test_level_sector_and_distance_rules_exclude_with_reasons():
    far = (31.5, 121.9)
    problem = CaseProblem(
        needs=(CaseNeed("n1", 3, HERE, sector="mental_health", min_level=3),),
        workers=(CaseWorker("junior", 1, HERE, 5), CaseWorker("other", 3, HERE, 5, sectors=frozenset({"elderly"})),
                 CaseWorker("far", 3, far, 5)), max_travel_km=10)
    result = solve_cases(problem, time_limit=5)
    assert result.assignments == ()
    codes = {r.code for r in result.unassigned[0].reasons}
    assert codes == {"case_level_too_low", "case_not_qualified", "case_too_far"}


def test_pin_to_an_ineligible_worker_is_infeasible_and_named():
    problem = CaseProblem(needs=(CaseNeed("n1", 2, HERE, min_level=3),),
                          workers=(CaseWorker("w1", 1, HERE, 3),), pins=(("n1", "w1"),))
    result = solve_cases(problem, time_limit=5)
    assert result.status == "INFEASIBLE" and result.conflicting_pins == (("n1", "w1"),)


@pytest.mark.parametrize("data, field", [
    ({"needs": [{"urgency": 2, "location": [31, 121]}]}, "needs[0].id"),
    ({"needs": [{"id": "a", "urgency": 5, "location": [31, 121]}]}, "needs[0].urgency"),
    ({"workers": [{"id": "w", "level": 2, "location": [float("nan"), 121], "capacity": 1}]}, "workers[0].location"),
    ({"needs": [{"id": "a", "location": [31, 121]}], "pins": [["a", "nobody"]]}, "pins[0]"),
])
def test_bad_input_names_the_field(data, field):
    with pytest.raises(BadInput) as error:
        parse_case_problem(data)
    assert error.value.field == field


points = st.tuples(st.floats(31.20, 31.26), st.floats(121.44, 121.50))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 4), points, st.integers(1, 3)), min_size=1, max_size=5),
       st.lists(st.tuples(st.integers(1, 3), points, st.integers(0, 2)), min_size=1, max_size=3))
def test_optimal_against_brute_force(needs, workers):
    problem = CaseProblem(
        needs=tuple(CaseNeed(f"n{i}", u, loc, min_level=lvl) for i, (u, loc, lvl) in enumerate(needs)),
        workers=tuple(CaseWorker(f"w{i}", lvl, loc, cap) for i, (lvl, loc, cap) in enumerate(workers)),
        max_travel_km=4.0)
    result = solve_cases(problem, time_limit=5, workers=1)
    assert result.status == "OPTIMAL"
    assert check(problem, result) == brute_force(problem)


def test_every_reason_has_an_english_sentence():
    problem = CaseProblem(
        needs=(CaseNeed("n1", 4, HERE, sector="elderly", min_level=2, resident="r1"), CaseNeed("n2", 1, HERE)),
        workers=(CaseWorker("w1", 2, HERE, 1, sectors=frozenset({"elderly"}), residents=frozenset({"r1"})),))
    result = solve_cases(problem, time_limit=5).to_dict()
    sentences = [text for item in result["assignments"] + result["unassigned"] for text in item["reasons"]]
    assert sentences and all(" " in text for text in sentences), sentences
