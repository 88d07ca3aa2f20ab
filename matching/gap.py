"""Generalized assignment (GAP) on Beasley's OR-Library files — the award engine's benchmark.

Every job goes to exactly one agent; the jobs an agent takes use at most its capacity
(Σ_j resource[i][j] ≤ capacity[i]); minimize (or maximize) the total cost.
"""

from __future__ import annotations

import math
import os
import threading
import time
from dataclasses import dataclass, field

import numpy as np
from ortools.linear_solver import pywraplp
from ortools.sat.python import cp_model

from matching.defaults import DEFAULT_TIME_LIMIT
from matching.errors import BadInput
from matching.gap_local import descend, insert_by_regret, regret_repair
from matching import mip as mip_twin
from matching.mip import MipTwin
from matching.native import stdout_to_stderr

STATUS_NAMES = {
    cp_model.OPTIMAL: "OPTIMAL",
    cp_model.FEASIBLE: "FEASIBLE",
    cp_model.INFEASIBLE: "INFEASIBLE",
    cp_model.MODEL_INVALID: "UNKNOWN",
    cp_model.UNKNOWN: "UNKNOWN",
}


@dataclass(frozen=True)
class GapInstance:
    """One GAP instance: ``cost[i][j]`` and ``resource[i][j]`` for agent i and job j."""

    name: str
    agents: int
    jobs: int
    cost: tuple[tuple[int, ...], ...]
    resource: tuple[tuple[int, ...], ...]
    capacity: tuple[int, ...]


@dataclass
class GapResult:
    """The outcome of :func:`solve_gap`; ``assignment[j]`` is the agent of job j (0-based)."""

    name: str
    agents: int
    jobs: int
    maximize: bool
    status: str
    objective: int | None
    bound: int | None
    seconds: float
    assignment: list[int] | None
    stats: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "instance": self.name,
            "agents": self.agents,
            "jobs": self.jobs,
            "sense": "max" if self.maximize else "min",
            "status": self.status,
            "objective": self.objective,
            "bound": self.bound,
            "seconds": round(self.seconds, 3),
            "assignment": self.assignment,
            "stats": self.stats,
        }


# --------------------------------------------------------------------------- reading


def _tokens(text: str, source: str) -> list[int]:
    values = []
    for k, token in enumerate(text.split()):
        try:
            values.append(int(token))
        except ValueError:
            raise BadInput(f"{source}:token[{k}]", f"expected an integer, got {token[:20]!r}") from None
    return values


def _looks_numeric(text: str) -> bool:
    return all(token.lstrip("-").isdigit() for token in text.split())


def _instance_size(values: list[int], pos: int) -> int | None:
    """Number of integers the instance starting at ``pos`` spans, or None if it cannot be one."""
    if pos + 2 > len(values):
        return None
    m, n = values[pos], values[pos + 1]
    if m <= 0 or n <= 0:
        return None
    return 2 + 2 * m * n + m


def _layout(values: list[int]) -> tuple[int, int] | None:
    """Return (first position, instance count) of a layout that spans exactly all values."""
    candidates = []
    # OR-Library: a leading count, then that many instances back to back.
    if values and values[0] > 0:
        count, pos = values[0], 1
        for _ in range(count):
            size = _instance_size(values, pos)
            if size is None:
                pos = -1
                break
            pos += size
        if pos == len(values):
            candidates.append((1, count))
    # Chu–Beasley / Yagiura: a single instance without count.
    if _instance_size(values, 0) == len(values):
        candidates.append((0, 1))
    # Both can only match by coincidence; the leading count is the documented format.
    return candidates[0] if candidates else None


def read_orlib(path_or_text: str | os.PathLike, name: str | None = None) -> list[GapInstance]:
    """Read GAP instances from a file path or from the text itself.

    Handles OR-Library files (leading instance count) and single-instance files (no count):
    the layout is the one whose sizes span the whole file exactly.
    Instances are named ``<file>#<k>`` (1-based) when the file holds a count, ``<file>`` otherwise.
    """
    text = os.fspath(path_or_text)
    source = "text"
    # A string is the data itself when it holds only integers and whitespace and names no file.
    is_text = not isinstance(path_or_text, os.PathLike) and (
        "\n" in text or (text.strip() and not os.path.exists(text) and _looks_numeric(text))
    )
    if not is_text:
        source = os.path.basename(os.fspath(path_or_text))
        try:
            with open(path_or_text, encoding="utf-8") as handle:
                text = handle.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise BadInput("file", f"cannot read {os.fspath(path_or_text)}: {exc}") from None
    if name:
        source = name
    values = _tokens(text, source)
    if not values:
        raise BadInput("file", "no data")
    layout = _layout(values)
    if layout is None:
        raise BadInput(
            "file",
            f"{len(values)} integers do not form GAP instances "
            "(count, then per instance: m n, m×n costs, m×n resources, m capacities)",
        )
    pos, count = layout
    instances = []
    for k in range(count):
        m, n = values[pos], values[pos + 1]
        pos += 2
        cost = tuple(tuple(values[pos + i * n : pos + (i + 1) * n]) for i in range(m))
        pos += m * n
        resource = tuple(tuple(values[pos + i * n : pos + (i + 1) * n]) for i in range(m))
        pos += m * n
        capacity = tuple(values[pos : pos + m])
        pos += m
        label = f"{source}#{k + 1}" if layout[0] == 1 else source
        for i in range(m):
            for j in range(n):
                if resource[i][j] < 0:
                    raise BadInput(f"{label}.resource[{i}][{j}]", "must not be negative")
        instances.append(GapInstance(label, m, n, cost, resource, capacity))
    return instances


# --------------------------------------------------------------------------- heuristics


def objective_of(instance: GapInstance, assignment: list[int]) -> int:
    """Total cost of an assignment (agent index per job)."""
    return sum(instance.cost[a][j] for j, a in enumerate(assignment))


# --------------------------------------------------------------------------- Lagrangian bound

# Dynamic programs over capacity are skipped above this many cells (jobs × agents × capacity).
MAX_DP_CELLS = 3_000_000


class _Knapsacks:
    """All agents' 0/1 knapsacks over capacity at once: min Σ_j w_ij x_ij, Σ_j r_ij x_ij ≤ b_i.

    Only negative weights are worth taking. The gather indices of each job (cell c of agent i
    comes from cell c − r_ij) are computed once and reused by every subgradient step.
    """

    def __init__(self, resource: np.ndarray, capacity: np.ndarray):
        m, n = resource.shape
        self.m, self.n = m, n
        self.width = int(capacity.max()) + 1
        self.resource, self.capacity = resource, capacity
        cols = np.arange(self.width)
        self.source = []
        self.blocked = []
        for j in range(n):
            idx = cols[None, :] - resource[:, j][:, None]
            self.blocked.append(idx < 0)
            self.source.append((np.arange(m)[:, None] * self.width + np.maximum(idx, 0)).ravel())

    def step(self, dp: np.ndarray, j: int, w: np.ndarray):
        """dp after offering job j with weights w (per agent); returns (new dp, taken mask)."""
        cand = dp.ravel()[self.source[j]].reshape(dp.shape) + w[:, None]
        cand[self.blocked[j]] = np.inf
        better = cand < dp
        return np.where(better, cand, dp), better

    def solve(self, weight: np.ndarray, with_choice: bool = True):
        """(value per agent, chosen (m, n) mask or None)."""
        dp = np.zeros((self.m, self.width))
        take = np.zeros((self.n, self.m, self.width), dtype=bool) if with_choice else None
        negative = np.minimum(weight, 0.0)
        for j in np.nonzero(negative.any(axis=0))[0]:
            dp, better = self.step(dp, j, negative[:, j])
            if with_choice:
                take[j] = better
        agents = np.arange(self.m)
        value = dp[agents, self.capacity]
        if not with_choice:
            return value, None
        chosen = np.zeros((self.m, self.n), dtype=bool)
        c = self.capacity.copy()
        for j in range(self.n - 1, -1, -1):
            took = take[j, agents, c]
            chosen[:, j] = took
            c = c - np.where(took, self.resource[:, j], 0)
        return value, chosen

    def tables(self, weight: np.ndarray, order) -> list[np.ndarray]:
        """dp after each prefix of ``order`` (the first entry: no job offered)."""
        dp = np.zeros((self.m, self.width))
        out = [dp]
        negative = np.minimum(weight, 0.0)
        for j in order:
            if negative[:, j].any():
                dp, _ = self.step(dp, j, negative[:, j])
            out.append(dp)
        return out


def subgradient(
    evaluate,
    x: np.ndarray,
    target: float,
    deadline: float,
    *,
    iterations: int,
    step: float,
    stall_limit: int,
    min_step: float,
    nonnegative: bool = False,
) -> tuple[float, np.ndarray]:
    """Subgradient ascent of a Lagrangian bound: ``evaluate(x) -> (bound, subgradient)``.

    Polyak steps towards ``target`` (when infinite, 2 % above the best bound so far), the step factor
    halved after ``stall_limit`` steps without progress; stops after ``iterations`` steps, below
    ``min_step``, at the deadline, once the bound rounds up to the target, or at a zero subgradient
    (the relaxed solution is feasible: the bound is tight). Returns the best bound and its multipliers.
    """
    best, best_x = -np.inf, x.copy()
    stall = 0
    for _ in range(iterations):
        bound, g = evaluate(x)
        if bound > best + 1e-9:
            best, best_x, stall = bound, x.copy(), 0
        else:
            stall += 1
            if stall >= stall_limit:
                step, stall = step / 2, 0
        if step < min_step or time.monotonic() > deadline or best > target - 1 + 1e-6:
            break
        norm = float((g * g).sum())
        if norm == 0:
            break
        goal = target if math.isfinite(target) else best + 0.02 * abs(best) + 1.0
        x = x + step * max(goal - bound, 1e-3 * max(1.0, abs(bound))) / norm * g
        if nonnegative:
            x = np.maximum(0.0, x)
    return float(best), best_x


def lagrangian_bound(
    knapsacks: _Knapsacks,
    cost: np.ndarray,
    target: float,
    deadline: float,
    max_iterations: int = 400,
    start: np.ndarray | None = None,
    step: float = 2.0,
) -> tuple[float, np.ndarray]:
    """Subgradient optimization of the relaxation of "every job exactly once" (minimization).

    L(u) = Σ_j u_j + Σ_i min{Σ_j (cost_ij − u_j) x_ij : Σ_j resource_ij x_ij ≤ capacity_i} is a lower
    bound for every u; agents' knapsacks make it at least as strong as the LP relaxation.
    Returns the best bound found and its multipliers (Polyak steps towards ``target``, halved
    after 15 steps without progress; ``start`` warm-starts from earlier multipliers).
    """
    u = cost.min(axis=0).astype(float) if start is None else start.copy()

    def evaluate(u):
        values, chosen = knapsacks.solve(cost - u[None, :])
        return u.sum() + values.sum(), 1 - chosen.sum(axis=0)

    best, best_u = subgradient(
        evaluate, u, target, deadline, iterations=max_iterations, step=step, stall_limit=15, min_step=5e-3
    )
    return float(best), best_u


def pair_bounds(knapsacks: _Knapsacks, cost: np.ndarray, u: np.ndarray):
    """Lagrangian bounds with each (agent, job) pair forced in and forced out.

    Agent i's knapsack without job j within room C is min_c F_j[c] + B_{j+1}[C − c], F and B being
    the prefix and suffix dynamic programs. Returns (bound, with_in, with_out): every assignment
    using pair (i, j) costs at least ``with_in[i, j]``, every one not using it ``with_out[i, j]``.
    """
    m, n = cost.shape
    capacity = knapsacks.capacity
    weight = cost - u[None, :]
    cols = np.arange(knapsacks.width)
    forward = knapsacks.tables(weight, range(n))  # forward[j]: jobs before j
    backward = knapsacks.tables(weight, range(n - 1, -1, -1))  # backward[k]: the last k jobs
    knap = forward[n][np.arange(m), capacity]
    bound = float(u.sum() + knap.sum())
    with_in = np.full((m, n), np.inf)
    with_out = np.full((m, n), np.inf)

    def without(before, after, room):  # each agent's best knapsack from `before` + `after` within room_i
        idx = room[:, None] - cols[None, :]
        vals = before + np.take_along_axis(after, np.clip(idx, 0, cols.size - 1), axis=1)
        return np.where(idx >= 0, vals, np.inf).min(axis=1)

    for j in range(n):
        before, after = forward[j], backward[n - j - 1]  # the jobs before j, the jobs after j
        room_in = capacity - knapsacks.resource[:, j]
        with_in[:, j] = np.where(
            room_in >= 0, bound - knap + weight[:, j] + without(before, after, room_in), np.inf
        )
        with_out[:, j] = bound - knap + without(before, after, capacity)
    return bound, with_in, with_out


def useful_pairs(with_in: np.ndarray, with_out: np.ndarray, upper: float, tolerance: float) -> np.ndarray:
    """Mask of the pairs that can appear in an assignment costing at most ``upper``.

    A pair whose job is forced elsewhere (some other pair's ``with_out`` exceeds ``upper``) is out too.
    """
    keep = with_in <= upper + tolerance
    forced = with_out > upper + tolerance
    return keep & ~(forced.any(axis=0)[None, :] & ~forced)


# --------------------------------------------------------------------------- solving


class _Search(cp_model.CpSolverSolutionCallback):
    """Records improving solutions across the phases; may stop a round once it improved enough."""

    def __init__(self, state, variables, stop_below=None, stop=None):
        super().__init__()
        self._state = state
        self._variables = variables
        self._stop_below = stop_below
        self._stop = stop

    def on_solution_callback(self):
        value = int(round(self.ObjectiveValue()))
        if value < self._state.upper:
            assignment = [0] * self._state.jobs
            for (i, j), v in self._variables.items():
                if self.BooleanValue(v):
                    assignment[j] = i
            self._state.improve(value, assignment)
        if self._stop_below is not None and value <= self._stop_below:
            self.StopSearch()
            if self._stop is not None:
                self._stop.set()


class _State:
    """Best assignment and bound so far, in the internal (minimization) sense."""

    def __init__(self, instance, sign, started, progress):
        self.jobs = instance.jobs
        self.sign = sign
        self.started = started
        self.progress = progress
        self.upper = float("inf")
        self.lower = -float("inf")
        self.assignment = None
        self._lock = threading.Lock()

    def improve(self, value, assignment):
        with self._lock:
            if value >= self.upper:
                return
            self.upper, self.assignment = value, list(assignment)
            if self.progress:
                self.progress(
                    self.sign * value,
                    self.sign * int(min(self.lower, value)),
                    time.monotonic() - self.started,
                )

    def raise_lower(self, value):
        self.lower = max(self.lower, value)


def _parameters(solver, seconds, workers, seed):
    params = solver.parameters
    params.max_time_in_seconds = max(0.01, seconds)
    params.num_workers = max(1, workers)
    params.random_seed = seed
    params.linearization_level = 2


def _cp_sat(instance, cost, pairs, state, seconds, workers, seed, stop_below=None, portfolio=False, hint=True):
    """Solve GAP restricted to ``pairs`` (agent, job); returns the CP-SAT status and best bound.

    With ``portfolio``, run ``workers`` single-threaded searches with different seeds side by side
    (CP-SAT releases the GIL) — every second one an LP-bound tree search — and stop them all when one
    finishes: on the small reduced models this beats one multi-worker search. Without ``hint`` the
    best assignment so far is not given to the search (it still counts as the best).
    """
    model, x = _gap_model(instance, cost, pairs, state, hint)
    if not portfolio or workers < 2:
        solver = cp_model.CpSolver()
        _parameters(solver, seconds, workers, seed)
        code = solver.Solve(model, _Search(state, x, stop_below))
        bound = solver.BestObjectiveBound() if code in (cp_model.OPTIMAL, cp_model.FEASIBLE) else None
        return code, bound
    return _portfolio(model, x, state, seconds, workers, seed, stop_below)


def _gap_model(instance, cost, pairs, state, hint=True) -> tuple[cp_model.CpModel, dict]:
    """Exactly one agent per job, a capacity row per agent that can bind; hinted with the best so far
    unless not ``hint``."""
    m, n = instance.agents, instance.jobs
    model = cp_model.CpModel()
    x = {(i, j): model.NewBoolVar(f"x{i}_{j}") for i, j in pairs}
    by_job = [[] for _ in range(n)]
    by_agent = [[] for _ in range(m)]
    for (i, j), v in x.items():
        by_job[j].append(v)
        by_agent[i].append((instance.resource[i][j], v))
    for j in range(n):
        model.AddExactlyOne(by_job[j])
    for i in range(m):
        if sum(r for r, _ in by_agent[i]) > instance.capacity[i]:
            model.Add(sum(r * v for r, v in by_agent[i]) <= instance.capacity[i])
    model.Minimize(sum(int(cost[i][j]) * v for (i, j), v in x.items()))
    if hint and state.assignment is not None:
        for (i, j), v in x.items():
            model.AddHint(v, state.assignment[j] == i)
    return model, x


def _portfolio(model, x, state, seconds, workers, seed, stop_below, stop: threading.Event | None = None):
    """``workers`` single-threaded searches side by side; the first to finish stops the others, and so
    does ``stop`` being set."""
    stop = stop or threading.Event()
    solvers = [cp_model.CpSolver() for _ in range(workers)]
    outcomes = [None] * workers

    def run(k):
        _parameters(solvers[k], seconds, 1, seed + 7919 * k)
        if k % 2:
            # diversity: a search driven by the LP bound tree (measured: sometimes much faster to the optimum)
            solvers[k].parameters.optimize_with_lb_tree_search = True
        if not stop.is_set():
            code = solvers[k].Solve(model, _Search(state, x, stop_below, stop))
            bound = solvers[k].BestObjectiveBound() if code in (cp_model.OPTIMAL, cp_model.FEASIBLE) else None
            outcomes[k] = (code, bound)
            if code in (cp_model.OPTIMAL, cp_model.INFEASIBLE):
                stop.set()

    threads = [threading.Thread(target=run, args=(k,), daemon=True) for k in range(workers)]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        if stop.wait(0.05):
            for solver in solvers:  # repeated: a search that had not started yet is stopped too
                solver.StopSearch()
            for t in threads:
                t.join(0.05)
    for t in threads:
        t.join()
    done = [o for o in outcomes if o is not None]
    codes = [c for c, _ in done]
    bounds = [b for _, b in done if b is not None]
    bound = max(bounds) if bounds else None
    for code in (cp_model.OPTIMAL, cp_model.INFEASIBLE, cp_model.FEASIBLE):
        if code in codes:
            return code, bound
    return cp_model.UNKNOWN, bound


def solve_gap(
    instance: GapInstance,
    *,
    maximize: bool = False,
    time_limit: float = DEFAULT_TIME_LIMIT,
    workers: int = 2,
    seed: int = 0,
    progress=None,
    started: float | None = None,
) -> GapResult:
    """Solve one GAP instance; returns the best assignment found within ``time_limit`` seconds.

    1. a regret heuristic with local search gives the start (hint);
    2. CP-SAT on the whole model (exactly one agent per job, a capacity row per agent) for a
       short first round — enough to prove the small instances;
    3. if not proven: a Lagrangian bound (relaxing "each job once"; knapsacks per agent), then
       rounds of CP-SAT on only the pairs that can still be part of an assignment at least as good
       as the best one, the model shrinking as the best improves (see docs/matching.md).
    ``progress(objective, bound, seconds)`` is called on every improving solution.
    """
    started = time.monotonic() if started is None else started
    deadline = started + time_limit
    m, n = instance.agents, instance.jobs
    sign = -1 if maximize else 1
    cost = [[sign * c for c in row] for row in instance.cost]  # minimize internally
    state = _State(instance, sign, started, progress)
    # Trivial bound: every job at its cheapest agent that it fits.
    cheapest = [
        min((cost[i][j] for i in range(m) if instance.resource[i][j] <= instance.capacity[i]), default=0)
        for j in range(n)
    ]
    state.raise_lower(sum(cheapest))
    stats = {"variables": 0, "rounds": []}
    pairs = [(i, j) for i in range(m) for j in range(n) if instance.resource[i][j] <= instance.capacity[i]]
    stats["variables"] = len(pairs)
    status = "UNKNOWN"
    if all(any(instance.resource[i][j] <= instance.capacity[i] for i in range(m)) for j in range(n)):
        status = _search(instance, cost, pairs, state, stats, maximize, deadline, time_limit, workers, seed)
    else:
        status = "INFEASIBLE"  # some job fits no agent

    assignment = objective = bound = None
    if state.assignment is not None:
        assignment = state.assignment
        objective = objective_of(instance, assignment)
        low = min(state.lower, state.upper)
        bound = sign * int(low)
        status = "OPTIMAL" if low >= state.upper else "FEASIBLE"
    return GapResult(
        name=instance.name,
        agents=m,
        jobs=n,
        maximize=maximize,
        status=status,
        objective=objective,
        bound=bound,
        seconds=time.monotonic() - started,
        assignment=assignment,
        stats=stats,
    )


def _record_round(state, stats, n_pairs: int, code) -> None:
    stats["rounds"].append(
        {
            "variables": n_pairs,
            "status": STATUS_NAMES[code],
            "best": state.sign * state.upper,
            "end": round(time.monotonic() - state.started, 2),
        }
    )


def _starts(instance, c, resource, capacity, w, state, stats, maximize, time_limit) -> None:
    """The capacity relaxation's assignment repaired (by moving jobs out of overloaded agents, and by
    regret), regret constructions, then a shift/swap/chain descent from the best of them."""
    small = instance.agents * instance.jobs <= SMALL_PAIRS
    share = resource / np.maximum(capacity, 1)[:, None]
    makes = [
        lambda: repair(w, resource, capacity),
        lambda: regret_start(w, resource, capacity),
        lambda: regret_start(share, resource, capacity),
    ]
    if small:  # cheap here: the other measures of Martello and Toth, each descended
        makes += [
            lambda: regret_start(c, resource, capacity),
            lambda: regret_start(resource.astype(float), resource, capacity),
            lambda: regret_start(c / np.maximum(resource, 1) if maximize else c * resource, resource, capacity),
        ]
    for make in makes:
        start = make()
        if start is None:
            continue
        if small:
            start, _ = descend(c, resource, capacity, start, time.monotonic() + 0.02 * time_limit, weight=w)
        state.improve(objective_of_cost(c, start), start)
        if not small:
            break
    if not small:  # the LP rounded, descended on its own (a few dozen moves)
        start = lp_start(c, resource, capacity, LP_START_SHARE * time_limit)
        if start is not None:
            start, _ = descend(c, resource, capacity, start, time.monotonic() + 0.05 * time_limit, weight=w)
            state.improve(objective_of_cost(c, start), start)
    chosen = np.zeros(c.shape, dtype=bool)
    chosen[w.argmin(axis=0), np.arange(instance.jobs)] = True
    start = regret_repair(w, resource, capacity, chosen)
    if start is not None:
        state.improve(objective_of_cost(c, start), start)
    if state.assignment is not None:
        stats["heuristic_objective"] = state.sign * state.upper
        _descend(state, stats, c, resource, capacity, w, time.monotonic() + DESCENT_SHARE * time_limit)


def _search(instance, cost, pairs, state, stats, maximize, deadline, time_limit, workers, seed) -> str:
    """Starts, the whole model for a first round, then Lagrangian fixing, neighbourhood search and
    CP-SAT rounds on the pairs that can still beat the best assignment; "UNKNOWN" unless proven
    infeasible or optimal."""
    c = np.array(cost, dtype=float)
    resource = np.array(instance.resource, dtype=np.int64)
    capacity = np.array(instance.capacity, dtype=np.int64)
    # 1. the capacity relaxation (the LP bound, fast at any size) and its assignment repaired
    budget = time.monotonic() + max(0.3, 0.05 * time_limit)
    relax = capacity_lagrangian(c, resource, capacity, math.inf, budget)
    tolerance = 1e-9 * max(1.0, float(np.abs(c).sum()))
    state.raise_lower(math.ceil(relax[0] - tolerance))
    stats["lp_bound"] = round(state.sign * relax[0], 3)
    _starts(instance, c, resource, capacity, relax[2], state, stats, maximize, time_limit)

    # 2. the whole model: a short first round (proves the small instances), or until a first assignment
    reducible = instance.jobs * instance.agents * (max(instance.capacity) + 1) <= MAX_DP_CELLS
    first = deadline - time.monotonic()
    if state.assignment is not None:
        first = min(first, max(0.3, 0.02 * time_limit))
    code, bound = cp_model.UNKNOWN, None
    if state.assignment is None or len(pairs) <= WHOLE_MODEL_PAIRS:
        code, bound = _cp_sat(
            instance, cost, pairs, state, first, workers, seed, None if state.assignment else math.inf
        )
        _record_round(state, stats, len(pairs), code)
    if bound is not None:
        state.raise_lower(math.ceil(bound - 1e-6))
    if code == cp_model.UNKNOWN and state.assignment is None and time.monotonic() < deadline - 0.05:
        code, bound = _cp_sat(
            instance, cost, pairs, state, deadline - time.monotonic(), workers, seed + 1, stop_below=math.inf
        )
        if bound is not None:
            state.raise_lower(math.ceil(bound - 1e-6))
    status = "UNKNOWN"
    if code == cp_model.INFEASIBLE:
        status = "INFEASIBLE"
    elif code == cp_model.OPTIMAL:
        state.raise_lower(state.upper)
    if state.lower < state.upper and state.assignment is not None and time.monotonic() < deadline - 0.05:
        _reduce_and_solve(instance, cost, state, stats, deadline, time_limit, workers, seed, relax, reducible)
    return status


# Above this many pairs a first round on the whole model costs more (building it) than it finds.
WHOLE_MODEL_PAIRS = 20_000
# Below this many (agent, job) pairs the regret heuristic's pure-Python passes are cheap.
SMALL_PAIRS = 2500


# Share of the time limit the LP of the rounding start may take (1–2 s for 80 × 1,600 with HiGHS).
LP_START_SHARE = 0.1
# Share of the time limit the first shift/swap/chain descent may take (it usually ends far sooner).
DESCENT_SHARE = 0.3


def _descend(state, stats, cost, resource, capacity, weight, until: float) -> None:
    """Shift, swap and ejection-chain descent from the best assignment (nothing else may change it
    meanwhile)."""
    better, moves = descend(cost, resource, capacity, state.assignment, until, weight=weight)
    state.improve(objective_of_cost(cost, better), better)
    stats["descent_moves"] = stats.get("descent_moves", 0) + moves
    stats["descent_objective"] = state.sign * state.upper


def objective_of_cost(cost: np.ndarray, assignment: list[int]) -> int:
    return int(round(float(cost[assignment, np.arange(len(assignment))].sum())))


def _reduce_and_solve(
    instance, cost, state, stats, deadline, time_limit, workers, seed, relax, reducible
) -> None:
    """Lagrangian bound and fixing, neighbourhood search, then CP-SAT rounds on the pairs that can
    still beat the best assignment.

    Each round's model holds every pair usable by an assignment at most as costly as the best one
    (which it contains), so its bound is a bound of the whole problem and its optimum is optimal.
    """
    c = np.array(cost, dtype=float)
    resource = np.array(instance.resource, dtype=np.int64)
    capacity = np.array(instance.capacity, dtype=np.int64)
    if reducible:
        red = _Reduction(instance, cost, state, stats, deadline, time_limit, start=relax[2].min(axis=0))
        # the knapsack relaxation's assignment (jobs taken by several agents or none) repaired by regret
        weight = c - red.u[None, :]
        start = regret_repair(weight, resource, capacity, red.knapsacks.solve(weight)[1])
        if start is not None and objective_of_cost(c, start) < state.upper:
            state.improve(objective_of_cost(c, start), start)
            until = min(deadline, time.monotonic() + 0.05 * time_limit)
            _descend(state, stats, c, resource, capacity, relax[2], until)
    else:
        red = _WeightReduction(relax, state, stats)
    # neighbourhood search while it improves, then CP-SAT with the best as its hint
    mask = red.mask(state)
    lns = _Lns(instance, np.array(cost, dtype=np.int64), mask, relax[2], state, seed)
    remaining = deadline - time.monotonic()
    if instance.agents * instance.jobs <= SMALL_PAIRS or mask.sum() <= 3 * instance.jobs or _near(state):
        pass  # CP-SAT alone proves these soonest
    else:
        # reducible: CP-SAT rounds on the shrinking model may prove the optimum, so leave them a quarter;
        # else building and searching the large model finds less than the neighbourhoods
        until = time.monotonic() + 0.75 * remaining if reducible else deadline
        stop_after = max(1.0, 0.1 * time_limit) if reducible else math.inf
        chunk = max(2.0, 0.1 * time_limit)
        while time.monotonic() < until - 0.05 and state.lower < state.upper:
            before = state.upper
            lns.run(min(until, time.monotonic() + chunk), workers, stop_after=stop_after)
            # the neighbourhoods' changes open moves between other agents
            _descend(state, stats, c, resource, capacity, relax[2], until)
            if reducible and state.upper >= before:
                break
            if not reducible:  # the capacity relaxation's bound is all we have: tighten it further
                more = capacity_lagrangian(
                    c, resource, capacity, state.upper, min(until, time.monotonic() + 0.02 * time_limit),
                    start=relax[1],
                )
                if more[0] > relax[0]:
                    relax = (more[0], more[1], relax[2])  # the neighbourhoods keep the first weights
                    state.raise_lower(math.ceil(more[0] - 1e-9 * max(1.0, float(np.abs(c).sum()))))
                    stats["lp_bound"] = round(state.sign * more[0], 3)
    stats["neighbourhoods"] = lns.moves
    stats["neighbourhood_gains"] = lns.improvements
    stats["neighbourhood_end"] = round(time.monotonic() - state.started, 2)
    total = stats["variables"]
    k = 0
    tuned_for = state.upper
    while state.lower < state.upper and time.monotonic() < deadline - 0.05:
        if _near(state):
            k += 1
            _at_the_bound(instance, cost, red, state, stats, deadline, workers, seed + k)
            continue
        if (
            reducible
            and state.upper < tuned_for
            and len(stats["rounds"]) > 1
            and stats["rounds"][-1]["variables"] <= total / 2
        ):
            tuned_for = state.upper
            red.retune(state, stats, min(deadline, time.monotonic() + 0.05 * time_limit))
        pairs = red.pairs(state)
        # Measured on c20200: while the model is big, CP-SAT's own portfolio (LP search plus
        # neighbourhood search) improves fastest; once about three pairs per job remain, single-thread
        # searches with the full LP, one per worker with different seeds, find and prove the optimum sooner.
        small = len(pairs) <= 3 * instance.jobs
        # A small model is searched without interruption to the end, or until the best comes near the
        # bound (restarting on every improvement threw away what the search had learnt), and without
        # the best so far as its hint: a hinted search keeps returning to the hint's neighbourhood (fresh
        # type E instances, 20 s, three seeds: e10200s2030 21,200 hinted against 21,154 unhinted,
        # e20400s2031 42,620 against 42,569; types C and D alike either way).
        whole = small or total <= SMALL_PAIRS
        k += 1
        # every round ends once the best comes near the bound: the rounds at the bound take over
        stop_below = state.lower + NEAR_BOUND
        if not whole:
            stop_below = max(stop_below, red.stop_below(state, len(pairs), small))
        code, bound = _cp_sat(
            instance,
            cost,
            pairs,
            state,
            deadline - time.monotonic(),
            workers,
            seed + k,
            stop_below,
            portfolio=small,
            hint=not whole,
        )
        _record_round(state, stats, len(pairs), code)
        if code == cp_model.OPTIMAL:
            state.raise_lower(state.upper)
        elif code == cp_model.INFEASIBLE:  # impossible while the best assignment is in the model
            break
        elif bound is not None:
            state.raise_lower(math.ceil(bound - 1e-6))


# Within this many units of the bound, the rounds search below the bound plus one (``_at_the_bound``).
NEAR_BOUND = 12
# In the rounds at the bound HiGHS searches the same model beside CP-SAT (matching.mip), taking one of
# the workers: there CP-SAT's time varies with its seed by 2–12 s (one worker, Chu–Beasley c20200 at
# 2,391: 2.7, 11.8, 12.1, 4.5 s with seeds 0–3; c10200 at 2,805: 1.0–7.2 s), HiGHS's by 3.4–6.6 s.
BOUND_ROUND_WITH_HIGHS = True
# Within this many units of the best assignment, the round searches what can cost at most the best less
# one: its optimum is then always proven, the best's or a better one, in one round. A round at the bound
# proves only when the optimum is at most the bound plus one; otherwise it raises the bound by one, and
# a round follows at each value up to the best less one. Chu–Beasley c10200 (solver seed 0, 10 s), when
# the bound was 2,804 and the best 2,807: three rounds, HiGHS 1.75, 3.98 and 4.81 s (269, 309, 368
# pairs), missed the 10 s; the last of them alone proves the optimum 2,806.
PROVE_IN_ONE_WITHIN = 3


def _near(state) -> bool:
    return state.upper - state.lower <= NEAR_BOUND


def _at_the_bound(instance, cost, red, state, stats, deadline, workers, seed) -> None:
    """One round on the pairs an assignment costing at most the lower bound (or, within
    PROVE_IN_ONE_WITHIN of the best, the best less one) can use, searched to the end.

    Every assignment costing at most that value is in this model, so its optimum, if no more than the
    value, is optimal, and otherwise the bound rises to the value plus one; the model at the bound is a
    fraction of the one at the best so far (Chu–Beasley c10200, bound 2,804: 263 pairs against 745 at
    2,814; c20200 at 2,390: 297 against 834), and its optimum, when above the bound, is often the next
    best assignment. Measured (10 s, 2 workers): solver seed 1 proves c20200 at 3.1 s and c10200 at
    6.9 s, where the rounds at the best so far proved neither; seed 0 ends at 2,392 and 2,807 (before:
    2,394–2,395 and 2,807–2,810). With HiGHS beside one CP-SAT search (BOUND_ROUND_WITH_HIGHS) and one
    proving round within PROVE_IN_ONE_WITHIN of the best, solver seeds 0–7 all prove both, in 5.3–8.9 s.
    """
    target = state.upper - 1 if state.upper - state.lower <= PROVE_IN_ONE_WITHIN else state.lower
    pairs = red.pairs_below(target)
    model, x = _gap_model(instance, cost, pairs, state, hint=False)
    stop = threading.Event()
    seconds = deadline - time.monotonic()
    twin = None
    if BOUND_ROUND_WITH_HIGHS and workers > mip_twin.THREADS:
        twin = MipTwin.beside(model.Proto(), seconds, on_proven=stop.set)
    searches = twin.workers_left(workers) if twin is not None else workers
    code, bound = _portfolio(model, x, state, seconds, searches, seed, None, stop)
    if twin is not None:
        twin.stop()  # only a proof counts here, and a proof stops CP-SAT at once: nothing to wait for
        code, bound = _with_highs(twin.result(), x, state, code, bound)
    _record_round(state, stats, len(pairs), code)
    if code == cp_model.INFEASIBLE:
        state.raise_lower(target + 1)
    elif bound is not None:
        state.raise_lower(min(math.ceil(bound - 1e-6), target + 1))


def _with_highs(found, x, state, code, bound):
    """A round's CP-SAT outcome (status, bound) with HiGHS's on the same model: its proven optimum, a
    solution checked row by row, is an assignment and the round's bound."""
    if found is None or not found.proven:
        return code, bound
    value = int(round(found.objective))
    assignment = [0] * state.jobs
    for (i, j), v in x.items():
        if found.values[v.Index()]:
            assignment[j] = i
    state.improve(value, assignment)
    return cp_model.OPTIMAL, value if bound is None else max(bound, value)


class _PairFixing:
    """What a reduction gives the search: per pair, the best bound of an assignment using it or not
    (``with_in``, ``with_out``), so pairs that cannot improve on the best assignment stay out."""

    def mask_below(self, value) -> np.ndarray:
        """Per pair, whether an assignment costing at most ``value`` can use it."""
        return useful_pairs(self.with_in, self.with_out, value, self.tolerance)

    def mask(self, state) -> np.ndarray:
        return self.mask_below(state.upper)

    def pairs(self, state) -> list[tuple[int, int]]:
        return self.pairs_below(state.upper)

    def pairs_below(self, value) -> list[tuple[int, int]]:
        """The pairs an assignment costing at most ``value`` can use."""
        return [(int(i), int(j)) for i, j in zip(*np.nonzero(self.mask_below(value)))]

    def stop_below(self, state, n_pairs: int, small: bool):
        """Small models: re-reduce on every improvement (cheap now); else once re-reducing would drop
        a quarter of the pairs."""
        if small:
            return state.upper - 1
        cut = int(0.75 * n_pairs)
        shrink = self.finite[cut] if cut < self.finite.size else math.inf
        if math.isfinite(shrink):
            return min(state.upper - 1, math.floor(shrink - self.tolerance))
        return state.upper - 1


class _WeightReduction(_PairFixing):
    """Fixing by the capacity relaxation alone, for instances whose knapsack tables are too large."""

    def __init__(self, relax, state, stats):
        bound, _, w = relax
        self.c = None
        self.lagrange = bound
        self.with_in, self.with_out = weight_pair_bounds(bound, w)
        self.tolerance = 1e-9 * max(1.0, float(np.abs(w[np.isfinite(w)]).sum()))
        self.finite = np.sort(self.with_in[np.isfinite(self.with_in)], axis=None)



class _Reduction(_PairFixing):
    """The Lagrangian multipliers and, per pair, the best bound of an assignment using it (or not)."""

    def __init__(self, instance, cost, state, stats, deadline: float, time_limit: float, start=None):
        self.c = np.array(cost, dtype=float)
        self.knapsacks = _Knapsacks(
            np.array(instance.resource, dtype=np.int64), np.array(instance.capacity, dtype=np.int64)
        )
        budget = min(deadline, time.monotonic() + max(0.5, 0.1 * time_limit))
        lagrange, self.u = lagrangian_bound(
            self.knapsacks, self.c, state.upper, budget, start=start, step=2.0 if start is None else 0.5
        )
        self.lagrange, self.with_in, self.with_out = pair_bounds(self.knapsacks, self.c, self.u)
        self.tolerance = 1e-9 * max(1.0, float(np.abs(self.c).sum()))
        stats["lagrangian_bound"] = round(state.sign * self.lagrange, 3)
        stats["lagrangian_end"] = round(time.monotonic() - state.started, 2)
        state.raise_lower(math.ceil(self.lagrange - self.tolerance))
        self.finite = np.sort(self.with_in[np.isfinite(self.with_in)], axis=None)

    def retune(self, state, stats, until: float) -> None:
        """Multipliers tuned towards the better target shrink the model further."""
        more, v = lagrangian_bound(
            self.knapsacks, self.c, state.upper, until, max_iterations=150, start=self.u, step=0.5
        )
        if more >= self.lagrange - self.tolerance:
            self.lagrange, self.with_in, self.with_out = pair_bounds(self.knapsacks, self.c, v)
            self.u = v
            self.finite = np.sort(self.with_in[np.isfinite(self.with_in)], axis=None)
            state.raise_lower(math.ceil(self.lagrange - self.tolerance))
            stats["lagrangian_bound"] = round(state.sign * self.lagrange, 3)



# --------------------------------------------------------------------------- the textbook model


def solve_gap_plain(
    instance: GapInstance,
    *,
    maximize: bool = False,
    time_limit: float = DEFAULT_TIME_LIMIT,
    workers: int = 2,
    seed: int = 0,
) -> GapResult:
    """The textbook CP-SAT model alone — a boolean per pair, exactly one agent per job, a capacity sum
    per agent — with CP-SAT's default search: the reference :func:`solve_gap` is measured against."""
    started = time.monotonic()
    m, n = instance.agents, instance.jobs
    model = cp_model.CpModel()
    x = {
        (i, j): model.NewBoolVar(f"x{i}_{j}")
        for i in range(m)
        for j in range(n)
        if instance.resource[i][j] <= instance.capacity[i]
    }
    for j in range(n):
        model.AddExactlyOne([x[i, j] for i in range(m) if (i, j) in x])
    for i in range(m):
        load = sum(instance.resource[i][j] * x[i, j] for j in range(n) if (i, j) in x)
        model.Add(load <= instance.capacity[i])
    total = sum(instance.cost[i][j] * v for (i, j), v in x.items())
    model.Maximize(total) if maximize else model.Minimize(total)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.01, time_limit)
    solver.parameters.num_workers = max(1, workers)
    solver.parameters.random_seed = seed
    code = solver.Solve(model)
    assignment = objective = bound = None
    if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        assignment = [0] * n
        for (i, j), v in x.items():
            if solver.BooleanValue(v):
                assignment[j] = i
        objective = objective_of(instance, assignment)
        raw = solver.BestObjectiveBound()
        bound = math.floor(raw + 1e-6) if maximize else math.ceil(raw - 1e-6)
        if code == cp_model.OPTIMAL:
            bound = objective
    return GapResult(
        name=instance.name,
        agents=m,
        jobs=n,
        maximize=maximize,
        status=STATUS_NAMES[code],
        objective=objective,
        bound=bound,
        seconds=time.monotonic() - started,
        assignment=assignment,
    )


# --------------------------------------------------------------------------- large instances


def capacity_lagrangian(
    cost: np.ndarray,
    resource: np.ndarray,
    capacity: np.ndarray,
    target: float,
    deadline: float,
    iterations: int = 1500,
    start: np.ndarray | None = None,
):
    """Subgradient optimization of the relaxation of the capacity rows (minimization).

    L(v) = Σ_j min_i (cost_ij + v_i resource_ij) − Σ_i v_i capacity_i, v ≥ 0, is a lower bound for every
    v (at its best, the LP bound); cheap at any size. Returns (bound, v, weights w = cost + v·resource);
    ``start`` continues from earlier multipliers (with a smaller first step).
    """
    m, n = cost.shape
    big = np.where(resource <= capacity[:, None], 0.0, np.inf)
    cols = np.arange(n)

    def evaluate(v):
        w = cost + v[:, None] * resource + big
        a = w.argmin(axis=0)
        g = np.bincount(a, weights=resource[a, cols], minlength=m) - capacity
        return float(w[a, cols].sum() - v @ capacity), np.where((v <= 0) & (g < 0), 0.0, g)

    best, best_v = subgradient(
        evaluate, np.zeros(m) if start is None else start.copy(), target, deadline, iterations=iterations,
        step=2.0 if start is None else 0.5, stall_limit=20,
        min_step=1e-3, nonnegative=True,
    )
    w = cost + best_v[:, None] * resource + big
    return best, best_v, w


def weight_pair_bounds(bound: float, w: np.ndarray):
    """Per pair, the bound of an assignment using it (``with_in``) or not (``with_out``), from the
    capacity relaxation's weights: only the job's own minimum changes."""
    m, n = w.shape
    order = np.sort(w, axis=0)
    first = order[0]
    second = order[1] if m > 1 else np.full(n, np.inf)
    with_in = bound - first[None, :] + w
    at_min = w <= first[None, :]
    with_out = np.where(at_min, bound - first[None, :] + second[None, :], bound)
    return with_in, with_out


def repair(w: np.ndarray, resource: np.ndarray, capacity: np.ndarray, assignment=None) -> list[int] | None:
    """A feasible assignment near the relaxation's: start from each job's cheapest agent by ``w``, then
    move jobs out of overloaded agents, cheapest increase of ``w`` per unit of overload first."""
    m, n = w.shape
    cols = np.arange(n)
    a = w.argmin(axis=0) if assignment is None else np.array(assignment)
    load = np.bincount(a, weights=resource[a, cols], minlength=m).astype(np.int64)
    for _ in range(4 * n):
        over = np.nonzero(load > capacity)[0]
        if over.size == 0:
            return [int(i) for i in a]
        i = int(over[np.argmax(load[over] - capacity[over])])
        jobs = np.nonzero(a == i)[0]
        room = capacity - load  # (m,)
        fits = resource[:, jobs] <= room[:, None]
        fits[i] = False
        delta = np.where(fits, w[:, jobs] - w[i, jobs][None, :], np.inf)
        k = delta.argmin(axis=0)
        best = delta[k, np.arange(jobs.size)]
        if not np.isfinite(best).any():
            return None
        score = best / np.minimum(resource[i, jobs], load[i] - capacity[i]).clip(min=1)
        pick = int(np.argmin(score))
        j, to = int(jobs[pick]), int(k[pick])
        a[j] = to
        load[i] -= resource[i, j]
        load[to] += resource[to, j]
    return None


# Each neighbourhood's CP-SAT search stops after this much deterministic work (about seconds on an
# idle core); its best is kept if it improves.
NEIGHBOURHOOD_WORK = 0.3
LNS_MAX = 4  # agents per neighbourhood at most
WIDER_AGENTS = 4  # added to every second neighbourhood, with only a quarter of the jobs freed


def lp_start(cost: np.ndarray, resource: np.ndarray, capacity: np.ndarray, seconds: float) -> list[int] | None:
    """The LP relaxation (HiGHS's simplex, else GLOP) rounded: each job at the agent holding more than half
    of it, overloaded agents giving up their cheapest jobs to lose, and the rest placed by regret on the
    cost (``regret_repair``); None if the LP is not solved in ``seconds`` or the rounding fits nowhere.
    At most one job per agent is split in an optimal basic solution, so the rounding starts next to the
    LP bound: measured on fresh type C and D instances of 80 × 1,600, 0.2–0.6 % above it after a descent
    of a few dozen moves, where the repaired capacity relaxation starts 70 % above."""
    if seconds <= 0.05:
        return None
    deadline = time.monotonic() + seconds
    lp = _CapacityLp.create(cost, resource, capacity)
    if lp is None:  # no LP solver in this build of OR-Tools
        return None
    # On tight instances the LP fills the agents to the brim and the split jobs fit nowhere: then the LP
    # again with a little room kept on every agent
    for room in LP_START_ROOM:
        if time.monotonic() > deadline - 0.05:
            return None
        value = lp.values(np.floor((1.0 - room) * capacity), deadline - time.monotonic())
        if value is None:  # out of time, or no room for some job
            continue
        start = regret_repair(cost, resource, capacity, value > 0.5)
        if start is not None:
            return start
    return None


# Shares of every agent's capacity the LP of the rounding start keeps free, tried in turn.
LP_START_ROOM = (0.0, 0.02, 0.05)


class _CapacityLp:
    """The LP relaxation (HiGHS, else GLOP), built once; solved again with smaller capacities by
    changing only the capacity rows' bounds and closing the pairs that no longer fit."""

    @classmethod
    def create(cls, cost: np.ndarray, resource: np.ndarray, capacity: np.ndarray) -> "_CapacityLp | None":
        """The LP on HiGHS, else GLOP; None if neither solver can be created."""
        solver = pywraplp.Solver.CreateSolver("HIGHS") or pywraplp.Solver.CreateSolver("GLOP")
        return None if solver is None else cls(solver, cost, resource, capacity)

    def __init__(self, solver, cost: np.ndarray, resource: np.ndarray, capacity: np.ndarray):
        self.shape = cost.shape
        self.solver = solver
        self.rows, self.cols = np.nonzero(resource <= capacity[:, None])
        self.resource = resource[self.rows, self.cols]
        self.x = [solver.NumVar(0.0, 1.0, "") for _ in range(self.rows.size)]
        jobs = [solver.Constraint(1.0, 1.0) for _ in range(cost.shape[1])]
        self.agents = [solver.Constraint(-solver.infinity(), float(c)) for c in capacity.tolist()]
        objective = solver.Objective()
        for v, i, j, r, c in zip(self.x, self.rows.tolist(), self.cols.tolist(), self.resource.tolist(),
                                 cost[self.rows, self.cols].tolist()):
            jobs[j].SetCoefficient(v, 1.0)
            self.agents[i].SetCoefficient(v, float(r))
            objective.SetCoefficient(v, float(c))
        objective.SetMinimization()

    def values(self, capacity: np.ndarray, seconds: float):
        """The optimal values (agents × jobs) within ``capacity``, or None if not solved within ``seconds``."""
        for row, c in zip(self.agents, capacity.tolist()):
            row.SetUb(float(c))
        for v, fits in zip(self.x, (self.resource <= capacity[self.rows]).tolist()):
            v.SetUb(1.0 if fits else 0.0)
        self.solver.SetTimeLimit(max(1, int(1000 * seconds)))
        with stdout_to_stderr():
            status = self.solver.Solve()
        if status != pywraplp.Solver.OPTIMAL:
            return None
        value = np.zeros(self.shape)
        value[self.rows, self.cols] = [v.solution_value() for v in self.x]
        return value


def regret_start(w: np.ndarray, resource: np.ndarray, capacity: np.ndarray) -> list[int] | None:
    """Martello–Toth regret construction on the weights ``w`` (vectorized): repeatedly place the job
    whose best and second-best agents with room differ most, at its best agent."""
    unplaced = np.full(w.shape[1], -1, dtype=np.int64)
    return insert_by_regret(w, resource, capacity.astype(np.int64).copy(), unplaced)


class _Lns:
    """Large neighbourhood search: free every job of a few agents and let CP-SAT reassign them among
    those agents (only pairs that can still beat the best assignment); one search per worker, on
    disjoint agents, so their improvements combine."""

    def __init__(self, instance, cost: np.ndarray, allowed: np.ndarray, w: np.ndarray, state, seed: int):
        self.instance = instance
        self.cost = cost
        self.resource = np.array(instance.resource, dtype=np.int64)
        self.capacity = np.array(instance.capacity, dtype=np.int64)
        self.allowed = allowed
        self.w = w
        self.state = state
        self.seed = seed
        self.busy: set[int] = set()
        self.lock = threading.Lock()
        self.size = min(instance.agents, 2)
        self.widen = instance.agents >= 2 + WIDER_AGENTS + 2
        self.moves = 0
        self.improvements = 0

    def _agents(self, rng, assignment) -> list[int] | None:
        m = self.instance.agents
        free = [i for i in range(m) if i not in self.busy]
        if len(free) < 2:
            return None
        size = min(self.size, len(free))
        first = rng.choice(free)
        if rng.random() < 0.3:
            return rng.sample(free, size)
        # agents where the first agent's jobs would go next (by the relaxation's weights)
        jobs = [j for j, a in enumerate(assignment) if a == first]
        pull = np.zeros(m)
        for j in jobs:
            gain = self.w[:, j] - self.w[first, j]
            gain[first] = np.inf
            k = int(np.argmin(gain))
            pull[k] += 1.0
        pull += 0.05
        pull[[i for i in range(m) if i in self.busy or i == first]] = 0.0
        chosen = [first]
        while len(chosen) < size and pull.sum() > 0:
            k = rng.choices(range(m), weights=pull.tolist())[0]
            chosen.append(k)
            pull[k] = 0.0
        return chosen

    def _pick(self, rng):
        """(snapshot of the assignment, agents, the core agents all of whose jobs are freed) or None."""
        with self.lock:
            assignment = list(self.state.assignment)
            agents = self._agents(rng, assignment)
            if agents is None:
                return None
            core = set(agents)
            if self.widen and rng.random() < 0.5:  # a few more agents, only their worst-placed jobs freed
                others = [i for i in range(self.instance.agents) if i not in self.busy and i not in core]
                agents = agents + rng.sample(others, min(len(others), WIDER_AGENTS))
            self.busy.update(agents)
        return assignment, agents, core

    def _free_jobs(self, assignment, agents, core):
        """(jobs to reassign, load of the jobs that stay, per agent)."""
        jobs = [j for j, a in enumerate(assignment) if a in set(agents)]
        free = jobs
        if len(agents) > len(core):
            cols = np.array(jobs)
            rows = np.array([assignment[j] for j in jobs])
            regret = self.w[rows, cols] - self.w[list(agents)][:, cols].min(axis=0)
            worst = set(cols[np.argsort(-regret)[: max(1, len(jobs) // 4)]].tolist())
            free = [j for j in jobs if assignment[j] in core or j in worst]
        fixed_load = {i: 0 for i in agents}
        kept = set(jobs) - set(free)
        for j in kept:
            fixed_load[assignment[j]] += int(self.resource[assignment[j], j])
        return free, fixed_load

    def _sub_model(self, assignment, agents, jobs, fixed_load):
        model = cp_model.CpModel()
        x = {}
        for j in jobs:
            row = []
            for i in agents:
                if (self.allowed[i, j] or assignment[j] == i) and self.resource[i, j] <= self.capacity[i]:
                    x[i, j] = v = model.NewBoolVar("")
                    row.append(v)
                    model.AddHint(v, assignment[j] == i)
            model.AddExactlyOne(row)
        for i in agents:
            model.Add(
                sum(int(self.resource[i, j]) * v for (a, j), v in x.items() if a == i)
                <= int(self.capacity[i]) - fixed_load[i]
            )
        before = int(sum(self.cost[assignment[j], j] for j in jobs))
        total = sum(int(self.cost[i, j]) * v for (i, j), v in x.items())
        model.Minimize(total)
        model.Add(total <= before)
        return model, x, before

    def _neighbourhood(self, rng, deadline):
        picked = self._pick(rng)
        if picked is None:
            return False
        assignment, agents, core = picked
        try:
            limit = deadline - time.monotonic()
            if limit <= 0.02:
                return False
            jobs, fixed_load = self._free_jobs(assignment, agents, core)
            model, x, before = self._sub_model(assignment, agents, jobs, fixed_load)
            solver = cp_model.CpSolver()
            solver.parameters.max_time_in_seconds = limit
            # work units rather than seconds: on shared cores the neighbourhoods stay the same size
            solver.parameters.max_deterministic_time = NEIGHBOURHOOD_WORK
            solver.parameters.num_workers = 1
            solver.parameters.random_seed = rng.randrange(1 << 30)
            solver.parameters.linearization_level = 2
            code = solver.Solve(model)
            self._record(solver, code, x, before)
            return True
        finally:
            with self.lock:
                self.busy.difference_update(agents)

    def _record(self, solver, code, x, before) -> None:
        """Adapt the neighbourhood size; apply an improvement (its agents are still ours)."""
        took = solver.response_proto.deterministic_time
        with self.lock:
            self.moves += 1
            if code == cp_model.OPTIMAL and took < 0.3 * NEIGHBOURHOOD_WORK:
                self.size = min(self.instance.agents, self.size + 1, LNS_MAX)
            elif code != cp_model.OPTIMAL:
                self.size = max(2, self.size - 1)
            if code in (cp_model.OPTIMAL, cp_model.FEASIBLE) and solver.ObjectiveValue() < before - 0.5:
                new = list(self.state.assignment)
                for (i, j), v in x.items():
                    if solver.BooleanValue(v):
                        new[j] = i
                self.improvements += 1
                self.state.improve(objective_of_cost(self.cost, new), new)

    def run(self, deadline: float, workers: int, stop_after: float = math.inf) -> None:
        """Search until ``deadline``, the bound is reached, or ``stop_after`` seconds pass without gain."""
        last = [time.monotonic(), self.state.upper]

        def loop(k):
            import random

            rng = random.Random(self.seed * 7919 + k)
            while time.monotonic() < deadline and self.state.lower < self.state.upper:
                if self.state.upper < last[1]:
                    last[:] = [time.monotonic(), self.state.upper]
                elif time.monotonic() - last[0] > stop_after:
                    return
                if not self._neighbourhood(rng, deadline):
                    time.sleep(0.01)

        threads = [threading.Thread(target=loop, args=(k,), daemon=True) for k in range(max(1, workers))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
