"""A CP-SAT model's twin as a mixed-integer program, searched by HiGHS in a child process beside CP-SAT.

On a model of Boolean pairs under clique, count and hour rows, HiGHS's presolve and cuts close the
gap at its root where CP-SAT's LP (built lazily, with fewer cuts) keeps searching: the tight street's
whole model (2,000 × 800, 65 k variables) is proven by HiGHS alone in 8.8–14.4 s of one thread where
CP-SAT on two took 24–44 s. Both search at once; the first to prove stops the other, the better
solution is kept and the smaller bound printed. HiGHS is reached through its own Python package,
``highspy``: the model passes in one call (OR-Tools' route to its bundled HiGHS sets each column's
integrality in a call of its own, 1.2 s for the tight street's columns) and its HiGHS 1.15 proves the
tight street in half the time of the HiGHS 1.12 inside OR-Tools 9.15 (18–22 s). It runs in a child
process (``child_main``, the rows pickled in, the outcome pickled out), so that it can be ended at
once when CP-SAT proves first; only the child imports ``highspy``, whose HiGHS then never shares a
process with OR-Tools' own.

Only rows a MIP states exactly are taken: at-most-one, exactly-one, bool-or and single-interval
linear constraints over integer variables, none enforced by a literal; any other model has no twin.
HiGHS is given no starting solution; where the model's hint gives every variable and keeps every
row, HiGHS is told to look only for solutions at least as good as it (``objective_bound`` half a
unit above the hint's value), so that it prunes by that value from its root on (a starting solution
instead measured no faster). Its proof is always its own optimal solution: "none as good", which the
hint itself contradicts, proves nothing (HiGHS has called feasible programs infeasible; a cutoff just
below the hint, which read that answer as the hint's proof, once claimed a hint optimal that was not).
Its solution is checked against every row in exact integers before it counts.
"""

from __future__ import annotations

import importlib.util
import math
import os
import pickle
import subprocess
import sys
import threading
import time
from dataclasses import dataclass

import numpy as np

HAS_HIGHS = importlib.util.find_spec("highspy") is not None  # imported by the child alone
_INF = 2**62
THREADS = 1  # HiGHS's threads unless the caller gives more: a CP-SAT search beside it takes as many workers fewer
CUTOFF_FROM_HINT = True  # HiGHS looks only for what is at least as good as a hint that gives every variable
# HiGHS's root reduced-cost heuristic (a sub-MIP on the variables its reduced costs leave free) spent
# 8 s of the tight street's 19 s (instance seed 1) and found nothing its other heuristics did not; with
# HiGHS 1.15 it doubles the time (instance seeds 1 and 3: 18.4 and 21.4 s against 9.3 and 8.8 s)
HIGHS_OPTIONS = {"mip_heuristic_run_root_reduced_cost": False}


@dataclass
class TwinResult:
    """What the twin's search gave, in the CP-SAT model's terms (objective as CP-SAT reports it)."""

    proven: bool  # the objective is the optimum
    objective: float | None  # None without a solution that keeps every row
    bound: float | None  # a bound in the model's sense (≥ every solution when maximizing), or None
    values: np.ndarray | None  # per CP-SAT variable, exact integers


class _Rows:
    """The constraint rows, gathered as CP-SAT gives them (``arrays`` turns them into the compressed
    form: row r holds vars[start[r]:start[r+1]], negated literals resolved)."""

    def __init__(self):
        self.refs: list[int] = []
        self.coeffs: list[int] = []
        self.lengths: list[int] = []
        self.lo: list[int] = []
        self.hi: list[int] = []

    def add(self, refs, coeffs, lo: int, hi: int) -> None:
        """A row lo ≤ Σ coef·literal ≤ hi over CP-SAT literals (a negative one, ¬x, is 1 − x)."""
        self.refs.extend(refs)
        self.coeffs.extend(coeffs)
        self.lengths.append(len(refs))
        self.lo.append(lo)
        self.hi.append(hi)

    def arrays(self):
        refs = np.asarray(self.refs, dtype=np.int64)
        coeffs = np.asarray(self.coeffs, dtype=np.int64)
        lengths = np.asarray(self.lengths, dtype=np.int64)
        negated = refs < 0  # c·¬x = c − c·x: the variable, the coefficient negated, c moved to the bounds
        constant = np.zeros(len(lengths), dtype=np.int64)
        np.add.at(constant, np.repeat(np.arange(len(lengths)), lengths)[negated], coeffs[negated])
        lo, hi = np.asarray(self.lo, dtype=np.int64), np.asarray(self.hi, dtype=np.int64)
        return (np.where(negated, -refs - 1, refs), np.where(negated, -coeffs, coeffs),
                np.concatenate(([0], np.cumsum(lengths))).astype(np.int64),
                np.where(lo > -_INF, lo - constant, -_INF), np.where(hi < _INF, hi - constant, _INF))


def _rows_of(proto) -> _Rows | None:
    """The model's rows, or None when one of its constraints has no exact MIP row here."""
    rows = _Rows()
    for c in proto.constraints:
        if len(c.enforcement_literal):
            return None
        if c.has_at_most_one():
            lits = list(c.at_most_one.literals)
            rows.add(lits, [1] * len(lits), -_INF, 1)
        elif c.has_exactly_one():
            lits = list(c.exactly_one.literals)
            rows.add(lits, [1] * len(lits), 1, 1)
        elif c.has_bool_or():
            lits = list(c.bool_or.literals)
            rows.add(lits, [1] * len(lits), 1, _INF)
        elif c.has_linear():
            domain = c.linear.domain
            refs = list(c.linear.vars)
            # a negative reference in a linear row (CpModel never writes one) is not taken: no twin
            if len(domain) != 2 or any(r < 0 for r in refs):
                return None
            rows.add(refs, list(c.linear.coeffs), int(domain[0]), int(domain[1]))
        else:
            return None
    return rows


# The child loads this file alone, by its path: not the ``matching`` package, whose other modules
# (CP-SAT and the rest) it does not need (0.8 s to start against 0.2 s), and whatever the folder or
# import path it starts with.
_CHILD = [sys.executable, "-c",
          "import importlib.util as u, sys; s = u.spec_from_file_location('mip_child', sys.argv[1]); "
          "m = sys.modules[s.name] = u.module_from_spec(s); s.loader.exec_module(m); m.child_main()",
          os.path.abspath(__file__)]


class MipTwin:
    """The MIP twin of a CP-SAT model (see the module's note). ``of`` builds it or gives None;
    ``start`` searches in a child process; ``stop`` ends it; ``result`` waits and gives the outcome."""

    @classmethod
    def of(cls, proto) -> MipTwin | None:
        """The twin of ``proto`` (a CpModel's proto), or None: no HiGHS, a row it cannot state, an
        objective that is not linear over integers, or a variable domain with holes."""
        if not HAS_HIGHS or not proto.has_objective() or proto.has_floating_point_objective():
            return None
        bounds = []
        for v in proto.variables:
            domain = v.domain
            if len(domain) != 2:
                return None
            bounds.append((domain[0], domain[1]))
        rows = _rows_of(proto)
        if rows is None:
            return None
        return cls(proto, np.asarray(bounds, dtype=np.int64).reshape(-1, 2), rows)

    def __init__(self, proto, domains: np.ndarray, rows: _Rows):
        obj = proto.objective
        self.n = len(domains)
        self.lb, self.ub = domains[:, 0], domains[:, 1]
        self.cost = np.zeros(self.n, dtype=np.int64)
        np.add.at(self.cost, np.asarray(list(obj.vars), dtype=np.int64), np.asarray(list(obj.coeffs), dtype=np.int64))
        self.offset = float(obj.offset)
        self.scale = float(obj.scaling_factor) or 1.0  # CP-SAT minimizes Σ cost·x; reports scale·(Σ + offset)
        self.vars, self.coeffs, self.start_of, self.lo, self.hi = rows.arrays()
        self.hint = self._whole_hint(proto)
        self._lock = threading.Lock()
        self._stopped = False
        self._child: subprocess.Popen | None = None
        self._thread: threading.Thread | None = None
        self._result: TwinResult | None = None
        self.threads = THREADS  # HiGHS's threads, as the last ``start`` asked

    def _whole_hint(self, proto) -> np.ndarray | None:
        """The model's solution hint when it gives every variable and keeps every row, else None."""
        hint = proto.solution_hint
        if not CUTOFF_FROM_HINT or len(hint.vars) != self.n:
            return None
        values = np.zeros(self.n, dtype=np.int64)
        values[np.asarray(list(hint.vars), dtype=np.int64)] = np.asarray(list(hint.values), dtype=np.int64)
        return values if self.keeps_every_row(values) else None

    @classmethod
    def beside(cls, proto, seconds: float, on_proven, threads: int = THREADS) -> MipTwin | None:
        """The twin of ``proto`` already searching for ``seconds`` on ``threads`` threads beside the
        caller's CP-SAT search (which takes as many workers fewer), ``on_proven`` stopping that search;
        or None (no twin)."""
        twin = cls.of(proto)
        if twin is not None:
            twin.start(seconds, on_proven=on_proven, threads=threads)
        return twin

    def start(self, seconds: float, on_proven=None, threads: int = THREADS) -> None:
        """Search for at most ``seconds`` on ``threads`` threads in a child process (``child_main``),
        watched by a thread; ``on_proven()`` is called from that thread when the search proves the
        optimum."""
        self.threads = max(1, int(threads))
        with self._lock:
            if self._stopped:
                return
            until = time.time() + float(seconds)  # the child's clock: it starts and builds in that time too
            # only what is at least as good as the hint is searched for (an integral objective)
            cutoff = None if self.hint is None else float(self.cost @ self.hint) + 0.5
            payload = pickle.dumps((self.n, self.lb, self.ub, self.cost, self.vars, self.coeffs, self.start_of,
                                    self.lo, self.hi, until, cutoff, self.threads), protocol=pickle.HIGHEST_PROTOCOL)
            try:
                self._child = subprocess.Popen(_CHILD, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                               stderr=subprocess.DEVNULL)
            except OSError:
                return
        self._thread = threading.Thread(target=self._watch, args=(payload, on_proven), daemon=True)
        self._thread.start()

    def workers_left(self, workers: int) -> int:
        """Of ``workers``, how many a CP-SAT search beside this twin keeps: the rest are HiGHS's
        threads, at least one."""
        return max(1, int(workers) - self.threads)

    def _watch(self, payload: bytes, on_proven) -> None:
        try:
            out, _ = self._child.communicate(payload)
            found = pickle.loads(out) if self._child.returncode == 0 and out else None
        except (OSError, ValueError, EOFError, pickle.UnpicklingError):
            found = None
        if found is None:
            return
        self._result = self._read(*found)
        if self._result.proven and on_proven is not None:
            on_proven()

    def stop(self, grace: float = 0.0) -> None:
        """End the search: at once, or after up to ``grace`` seconds for it to end by itself (its
        own time limit) and report what it found. Safe before, during and after it."""
        with self._lock:
            self._stopped = True
            child = self._child
        if child is None:
            return
        if grace > 0 and self._thread is not None:
            self._thread.join(grace)
        if child.poll() is None:
            child.kill()

    def result(self) -> TwinResult | None:
        """Wait for the search and give what it found (None if it never ran or was stopped first)."""
        if self._thread is not None:
            self._thread.join()
        return self._result

    def _read(self, proven: bool, has_bound: bool, bound: float, values) -> TwinResult:
        if values is not None:
            values = np.asarray(values, dtype=np.int64)
            if not self.keeps_every_row(values):
                values = None
        objective = None if values is None else self._reported(float(self.cost @ values))
        bound = self._reported(bound) if has_bound and math.isfinite(bound) else None
        proven = proven and values is not None
        if proven:
            bound = objective
        return TwinResult(proven, objective, bound, values)

    def _reported(self, internal: float) -> float:
        return self.scale * (internal + self.offset)

    def keeps_every_row(self, values: np.ndarray) -> bool:
        """The integer ``values`` keep every variable's domain and every row, exactly."""
        if len(values) != self.n or np.any(values < self.lb) or np.any(values > self.ub):
            return False
        row_of = np.repeat(np.arange(len(self.lo)), np.diff(self.start_of))
        activity = np.zeros(len(self.lo), dtype=np.int64)
        np.add.at(activity, row_of, self.coeffs * values[self.vars])
        return bool(np.all(activity >= self.lo) and np.all(activity <= self.hi))


def _search(n, lb, ub, cost, vars_, coeffs, start_of, lo, hi, until, cutoff=None, threads=THREADS):
    """HiGHS on the rows until ``until`` (``time.time()``) on ``threads`` threads: (proven, has a
    bound, bound, values or None), in the minimized Σ cost·x. Runs in the child process."""
    import highspy

    highs = highspy.Highs()
    # quiet; the threads CP-SAT leaves it; the exact optimum: the objective is integral
    options = {"output_flag": False, "threads": int(threads), "mip_rel_gap": 0.0, "mip_abs_gap": 0.5,
               **HIGHS_OPTIONS}
    if cutoff is not None:
        options["objective_bound"] = float(cutoff)
    for name, value in options.items():
        highs.setOptionValue(name, value)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n, len(lo)
    lp.col_cost_ = cost.astype(float)
    lp.col_lower_, lp.col_upper_ = lb.astype(float), ub.astype(float)
    lp.row_lower_ = np.where(lo > -_INF, lo, -highspy.kHighsInf).astype(float)
    lp.row_upper_ = np.where(hi < _INF, hi, highspy.kHighsInf).astype(float)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = start_of.astype(np.int32)
    lp.a_matrix_.index_ = vars_.astype(np.int32)
    lp.a_matrix_.value_ = coeffs.astype(float)
    lp.integrality_ = [highspy.HighsVarType.kInteger] * n
    highs.passModel(lp)
    highs.setOptionValue("time_limit", max(0.01, until - time.time()))
    highs.run()
    status = highs.getModelStatus()
    solution = highs.getSolution()
    values = np.rint(np.asarray(solution.col_value, dtype=float)) if solution.value_valid else None
    found = values is not None
    bound = float(highs.getInfo().mip_dual_bound) if found else math.nan
    return status == highspy.HighsModelStatus.kOptimal, found, bound, values


def child_main() -> None:
    """The child process: the pickled rows on stdin, the pickled outcome on stdout (the
    solver's own printing goes to stderr)."""
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    args = pickle.loads(sys.stdin.buffer.read())
    out.write(pickle.dumps(_search(*args), protocol=pickle.HIGHEST_PROTOCOL))
    out.flush()

