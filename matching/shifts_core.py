"""Shift assignment engine: compiled arrays, candidate pairs, greedy, CP-SAT models, decomposition.

Only ``solve`` is meant to be called from outside (through ``matching.shifts.solve_shifts``).
Times are integer microseconds since the Unix epoch, so comparisons are exact.
"""

from __future__ import annotations

import math
import random
import time
from datetime import datetime, timedelta, timezone
from functools import reduce
from zoneinfo import ZoneInfo

import numpy as np
from ortools.graph.python import min_cost_flow
from ortools.sat.python import cp_model

from .availability import available_mask, merge_windows
from .geo import distance_units_many, haversine_km, haversine_many, lat_window_deg, lon_window_deg
from .machine import Clock, at_lowest_priority
from .schedules import residual_distances, schedule_bound
from . import mip as mip_twin
from .mip import MipTwin, TwinResult
from .shift_types import ShiftAssignment, ShiftResult, UnfilledSlot
from .shifts_explain import Explainer, assignment_reasons

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
US = timedelta(microseconds=1)
MINUTE_US = 60_000_000
U_WEIGHT = np.array([0, 1, 2, 4, 8], dtype=np.int64)

# size of a sub-model solved in one CP-SAT call (candidate pairs); bigger components use LNS blocks
WHOLE_MODEL_PAIRS = 15_000
CELL_US = 15 * MINUTE_US  # the time cells of the quick conflict test (Compiled._compile_cells)
MAX_CELLS = 2_048
# candidate pairs per LNS block (before the per-shift restriction below); measured on the tight
# street tier (2,000 × 800) under a load average of 10–14 on two cores: blocks of 6,000 pairs
# restricted to each shift's best 10 + 3×places gain more in 40 s than 15,000 / 25 (2.6 % vs 3.6 %
# from the bound): small blocks are proven optimal quickly even when the solver gets a fraction
# of a core, and more of them fit in the time
BLOCK_PAIRS = 6_000
BLOCK_TOP_K = 10  # LNS blocks keep each shift's best 10 + 3×places candidates
FINISH_WHOLE_PAIRS = 80_000  # after LNS, components up to this size get a whole-model run for the bound
# A larger component gets one flow over all its pairs (seconds at 923 k pairs), priced on the hours by
# subgradient steps on a flow over each shift's best PRICE_TOP_K + 3×places candidates, for up to
# PRICE_SHARE of its time; then, where time allows, the flow again at λ = 0 for the bound. Tight
# district (20,000 × 8,000, seed 1), load 5–6: one flow at λ = 0 gives a start of 59.91 M (greedy
# 59.82 M); priced by 8 steps of the small flow 61.95 M, by 15 steps 62.23 M (by 40 steps of the
# large flow, 204 s: 62.57 M; its bound 63.34 M). In a 60 s solve at load 2–3: start 62.54 M.
# A tenth of the time makes nearly as good a start and leaves LNS the rest: tight district on a slow
# host (AMD EPYC, quiet), seeds 3–5 (fresh), 60 s: 0.601 / 0.660 / 0.637 % from the printed bound with
# a tenth, 0.814 / 0.739 / 0.706 % with 0.3. Seeds 0–2 (tuned on), the flow bound alone: a tenth
# 0.833 / 0.801 / 0.690 %, 0.3 0.975 / 0.952 / 0.847 %, 0.05 0.982 / 0.933 % (seeds 1, 2).
PRICE_TOP_K = 10
PRICE_SHARE = 0.1
PRICE_ITERATIONS = 30
# Share of a mid-size component's time its LNS gets before the whole model (hinted with the LNS
# solution) searches and proves. Measured on a quiet machine, seed 1, street tier (3,000 × 400, 30 s):
# proven optimal at 15.3 s with half the time for LNS, 10.7 s with a tenth, 8.0 s with a twentieth;
# tight street (2,000 × 800, 60 s): 58.4 s with half, 40.4 s with a tenth. LNS only warms the start:
# the whole model finds the same optimum from the greedy start alone (10.8 s on the street tier).
# Since HiGHS searches the whole model beside CP-SAT (FINISH_WITH_TWIN; it takes no hint), the LNS
# start matters less still: seed 1, street proven at 12.0 s with a tenth, 9.5 s with a fiftieth
# (seed 2: 8.1 s; CP-SAT alone with a tenth 13.7 s on both); tight street 34.6 s and 32.7 s (seed 2:
# 38.8 s; CP-SAT alone 43.7 s, and seed 2 unproven at 60 s).
LNS_SHARE_BEFORE_WHOLE = 0.02
# When the machine is shared, the whole model cannot prove a mid-size component in its time and its
# search improves little on the LNS solution; LNS then gets most of the time and the whole model the
# rest, for its bound. Measured at a load average of about 3 (seed 1): tight street (2,000 × 800,
# 60 s) with a tenth to LNS 1.48 % from the bound, half 0.73 %, nine tenths 0.58 %; street
# (3,000 × 400, 30 s) a tenth 0.70 % and 0.80 %, nine tenths 0.14 % and 0.17 %. "Shared" is read
# while the pairs, the greedy start and the flow bound were built (one thread): the solving thread
# got less than SHARED_BELOW of a core (0.68–0.89 in those runs), or other processes kept more than
# OTHERS_SHARED cores busy (at a load average of 2–3 the thread still got 0.94 of a core while the
# search's second thread would have shared the other; a tenth to LNS then ended 0.86 % from the bound).
LNS_SHARE_WHEN_SHARED = 0.9
OTHERS_SHARED = 0.5
SHARED_BELOW = 0.9  # the solving thread got less than this share of a core: the machine is shared
# After LNS, a mid-size component's whole model is searched by CP-SAT and, beside it, by HiGHS on the
# same model as a MIP (matching.mip), which takes mip.THREADS of the workers (on a quiet machine all of
# them: TWIN_TAKES_ALL_WHEN_QUIET). Measured on a quiet machine, tight street (2,000 × 800), the whole
# model alone: CP-SAT on two threads proved it in 24–44 s, HiGHS on one in 22–25 s; street
# (3,000 × 400): CP-SAT 7–10 s, HiGHS 5.4–6.2 s.
FINISH_WITH_TWIN = True
# On a quiet machine HiGHS takes every worker for the whole model and CP-SAT searches beside it on one,
# at the lowest priority (machine.at_lowest_priority): it gets only what HiGHS leaves idle, and its
# bound and solution still count if HiGHS ends without them. Measured here (Xeon, 2 cores, quiet),
# tight street (2,000 × 800), 60 s, instance seeds 1–8: proven in a mean 16.1 s with HiGHS on one
# thread and CP-SAT on the other (3 of 8 within 15 s), 15.0 s this way (4 of 8); seeds 3, 5, 8 run in
# turn: 18.3 / 16.2 / 20.1 s before, 17.2 / 15.2 / 18.9 s this way, 18.4 / 16.3 / 20.2 s with CP-SAT at
# the lowest priority but HiGHS on one thread, 19.0 and 21.8 s (seeds 3, 8) with HiGHS on two and
# CP-SAT's worker at the same priority. When the machine is shared the whole model is searched mainly
# for its bound, which CP-SAT gives where HiGHS ends without a solution: HiGHS then keeps mip.THREADS.
TWIN_TAKES_ALL_WHEN_QUIET = True
TWIN_GRACE = 0.5  # seconds the twin may take past the limit to report what it found (HiGHS's latency)
LOG_SEARCH = False  # set True to see CP-SAT logs while tuning
# CP-SAT's stop latency, as a share of the time its model took to build. Measured: 0.57 s after its
# limit for a whole tight-street model (48 k pairs) built in 2.57 s, at a load average of 3.5; 1.1–1.5 s
# after it for one built in 1.6–2.9 s beside two busy loops on the two cores, where with 0.25 the
# tight street's 60 s solve ended at 60.2–61.3 s, past the contract's second (60.3–60.5 s with 0.75)
STOP_LATENCY_PER_BUILD = 0.75
GREEDY_SHORTCUT = True  # a component whose greedy value meets its trivial bound is optimal as is
PRUNE_DOMINATED = True  # drop pairs an exclusive volunteer can always replace (dominated_pairs)
SOLVER_PARAMS: dict = {}  # extra CP-SAT parameters for every block model (name -> value), for tuning


def _us(dt: datetime, zone) -> int:
    if dt.tzinfo is None or dt.tzinfo.utcoffset(dt) is None:
        dt = dt.replace(tzinfo=zone)
    return (dt - EPOCH) // US


def _bits(mask: int):
    g = 0
    while mask:
        if mask & 1:
            yield g
        mask >>= 1
        g += 1


# --------------------------------------------------------------------------------------------
# compiled problem
# --------------------------------------------------------------------------------------------


class Compiled:
    """The problem as arrays indexed by volunteer (0..V-1) and shift (0..S-1)."""

    def __init__(self, problem):
        st = problem.settings
        self.problem = problem
        self.zone = ZoneInfo(st.timezone)
        vols, shs = problem.volunteers, problem.shifts
        self.V, self.S = len(vols), len(shs)
        self.vid = [v.id for v in vols]
        self.sid = [s.id for s in shs]
        self.vindex = {v: i for i, v in enumerate(self.vid)}
        self.sindex = {s: j for j, s in enumerate(self.sid)}
        self._compile_volunteers(vols, st.max_travel_km)
        self._compile_windows(vols)
        self._compile_shifts(shs, st.rest_minutes)
        self._compile_slot_groups(shs)
        self._compile_skills(vols)
        self._compile_preferences_and_history(vols, shs)
        self._compile_forbids_and_pins(problem)

    def _compile_volunteers(self, vols, global_limit) -> None:
        """Places, travel limits (the smaller of their own and the settings'; rule 2) and hours (µs)."""
        self.vlat = np.array([float(v.location[0]) for v in vols], dtype=np.float64)
        self.vlon = np.array([float(v.location[1]) for v in vols], dtype=np.float64)
        lims = []
        for v in vols:
            opts = [float(x) for x in (v.max_travel_km, global_limit) if x is not None]
            lims.append(min(opts) if opts else math.inf)
        self.vlimit = np.array(lims, dtype=np.float64)
        self.vmax = np.array(
            [-1 if v.max_minutes is None else int(v.max_minutes) * MINUTE_US for v in vols], dtype=np.int64
        )

    def _compile_windows(self, vols) -> None:
        """Merged availability windows, also as padded matrices WS/WE (one row per volunteer)."""
        zone = self.zone
        self.windows = [
            merge_windows([(_us(a, zone), _us(b, zone)) for a, b in v.availability]) for v in vols
        ]
        k = max([len(w) for w in self.windows] + [1])
        self.WS = np.full((self.V, k), np.iinfo(np.int64).max, dtype=np.int64)
        self.WE = np.full((self.V, k), np.iinfo(np.int64).min, dtype=np.int64)
        for i, w in enumerate(self.windows):
            for j, (a, b) in enumerate(w):
                self.WS[i, j] = a
                self.WE[i, j] = b

    def _compile_shifts(self, shs, rest_minutes) -> None:
        zone = self.zone
        self.sst = np.array([_us(s.start, zone) for s in shs], dtype=np.int64)
        self.sen = np.array([_us(s.end, zone) for s in shs], dtype=np.int64)
        self.sdur = self.sen - self.sst
        self.slat = np.array([float(s.location[0]) for s in shs], dtype=np.float64)
        self.slon = np.array([float(s.location[1]) for s in shs], dtype=np.float64)
        self.surg = np.array([int(s.urgency) for s in shs], dtype=np.int64)
        self.sminv = np.array([int(s.min_volunteers) for s in shs], dtype=np.int64)
        self.rest = int(rest_minutes) * MINUTE_US
        # rule 6 in one place: a volunteer who works shift s is free for another from free_at[s] (its end
        # plus the rest); two shifts conflict when each starts before the other's free_at (conflict)
        self.free_at = self.sen + self.rest
        self._compile_cells()

    def _compile_cells(self) -> None:
        """A grid of time cells (15 minutes, coarser on long horizons: at most MAX_CELLS) and, per
        shift, the cells [cell_lo, cell_hi) that [start, end + rest) covers whole. Two shifts that
        both cover a cell whole overlap, so they conflict (rule 6): a quick test that never wrongly
        refuses (shifts that share no whole cell are left to the exact test)."""
        if not self.S:
            self.cell_lo = self.cell_hi = np.zeros(0, dtype=np.int64)
            self.n_cells = 0
            return
        t0 = int(self.sst.min())
        span = int(self.free_at.max()) - t0
        cell = max(CELL_US, -(-span // MAX_CELLS))
        self.cell_lo = -(-(self.sst - t0) // cell)
        self.cell_hi = np.maximum((self.free_at - t0) // cell, self.cell_lo)
        self.n_cells = int(self.cell_hi.max())

    def _compile_slot_groups(self, shs) -> None:
        """Slots with the same skill merged into one group; skilled groups first, the open group last."""
        self.groups: list[list[tuple]] = []
        for s in shs:
            by_skill: dict = {}
            for k_, slot in enumerate(s.slots):
                if slot.count <= 0:
                    continue
                entry = by_skill.setdefault(slot.skill, [0, []])
                entry[0] += int(slot.count)
                entry[1].append(k_)
            gs = [(sk, c, idx) for sk, (c, idx) in by_skill.items() if sk is not None]
            gs.sort(key=lambda g: g[2][0])
            if None in by_skill:
                gs.append((None, by_skill[None][0], by_skill[None][1]))
            self.groups.append(gs)
        self.scap = np.array([sum(g[1] for g in gs) for gs in self.groups], dtype=np.int64)

    def _compile_skills(self, vols) -> None:
        """Per skill some slot requires: which volunteers hold it."""
        self.vskills = [v.skills for v in vols]
        required = {g[0] for gs in self.groups for g in gs if g[0] is not None}
        self.skill_has = {sk: np.zeros(self.V, dtype=bool) for sk in required}
        for i, v in enumerate(vols):
            for sk in v.skills:
                arr = self.skill_has.get(sk)
                if arr is not None:
                    arr[i] = True

    def _compile_preferences_and_history(self, vols, shs) -> None:
        """Per shift: the volunteers who asked for it, and those who visited one of its residents."""
        self.prefers = [v.preferences for v in vols]
        self.history = [v.history for v in vols]
        self.residents = [s.residents for s in shs]
        pref_by_shift: dict[int, list[int]] = {}
        for i, v in enumerate(vols):
            for sid in v.preferences:
                j = self.sindex.get(sid)
                if j is not None:
                    pref_by_shift.setdefault(j, []).append(i)
        self.pref_by_shift = {j: np.array(sorted(a), dtype=np.int64) for j, a in pref_by_shift.items()}
        by_resident: dict = {}
        for i, v in enumerate(vols):
            for r in v.history:
                by_resident.setdefault(r, []).append(i)
        self.cont_by_shift = {}
        for j, s in enumerate(shs):
            vs = set()
            for r in s.residents:
                vs.update(by_resident.get(r, ()))
            if vs:
                self.cont_by_shift[j] = np.array(sorted(vs), dtype=np.int64)

    def _compile_forbids_and_pins(self, problem) -> None:
        forb: dict[int, list[int]] = {}
        self.forbidden = set()
        for v, s in problem.forbids:
            i, j = self.vindex[v], self.sindex[s]
            forb.setdefault(j, []).append(i)
            self.forbidden.add((i, j))
        self.forb_by_shift = {j: np.array(sorted(a), dtype=np.int64) for j, a in forb.items()}
        self.pins = [(self.vindex[v], self.sindex[s]) for v, s in problem.pins]
        pins_by_shift: dict[int, list[int]] = {}
        for i, j in self.pins:
            pins_by_shift.setdefault(j, []).append(i)
        # pinned volunteers per shift: candidates whatever their availability and distance
        self.pins_by_shift = {j: np.array(sorted(a), dtype=np.int64) for j, a in pins_by_shift.items()}

    def conflict(self, s: int, t: int) -> bool:
        """Two shifts cannot both be worked by one volunteer (overlap, or gap below rest)."""
        return bool(self.sst[t] < self.free_at[s] and self.sst[s] < self.free_at[t])


# --------------------------------------------------------------------------------------------
# candidate pairs
# --------------------------------------------------------------------------------------------


class Pairs:
    """Candidate (volunteer, shift) pairs that satisfy rules 1–4 (pins: rules 3–4), grouped by shift."""

    def __init__(self, cp: Compiled, pv, ps, km, dunits, pref, cont, gmask, dropped):
        self.pv = pv
        self.ps = ps
        self.km = km
        self.dunits = dunits
        self.pref = pref
        self.cont = cont
        self.gmask = gmask
        self.score = 1000 * U_WEIGHT[cp.surg[ps]] + 50 * pref + 100 * cont - dunits
        self.P = len(pv)
        self.ptr_s = np.searchsorted(ps, np.arange(cp.S + 1)).astype(np.int64)
        self.order_v = np.argsort(pv, kind="stable")
        self.ptr_v = np.searchsorted(pv[self.order_v], np.arange(cp.V + 1)).astype(np.int64)
        self.dropped = dropped  # shift -> why it got no pairs at all ("min_exceeds_places", ...)
        self._V = max(cp.V, 1)
        self.code = ps * self._V + pv  # sorted: pairs are grouped by shift, volunteers ascending

    def of_shift(self, s: int) -> np.ndarray:
        return np.arange(self.ptr_s[s], self.ptr_s[s + 1])

    def of_volunteer(self, v: int) -> np.ndarray:
        return self.order_v[self.ptr_v[v]:self.ptr_v[v + 1]]

    def find(self, v: int, s: int) -> int | None:
        key = s * self._V + v
        i = int(np.searchsorted(self.code, key))
        return i if i < self.P and self.code[i] == key else None


class NearIndex:
    """Volunteers with a finite travel limit in latitude rows, each row sorted by longitude.

    ``spans(lat, lon, radius)`` gives slices of ``order`` that hold every such volunteer within
    ``radius`` km (and some more: the caller applies the exact distance test).
    """

    def __init__(self, cp: Compiled):
        finite = np.isfinite(cp.vlimit)
        self.unlimited = np.nonzero(~finite)[0]
        fin = np.nonzero(finite)[0]
        self.radius = float(cp.vlimit[fin].max()) if len(fin) else 0.0
        dlat = lat_window_deg(self.radius)
        if len(fin):
            self.lat0 = float(cp.vlat[fin].min())
            span = float(cp.vlat[fin].max()) - self.lat0
        else:
            self.lat0, span = 0.0, 0.0
        self.h = max(dlat / 2.0, span / 2000.0, 1e-9)
        row = np.floor((cp.vlat[fin] - self.lat0) / self.h).astype(np.int64)
        o = np.lexsort((cp.vlon[fin], row))
        self.order = fin[o]
        rows_sorted = row[o]
        self.lon_sorted = cp.vlon[self.order]
        self.nrows = int(rows_sorted.max()) + 1 if len(self.order) else 0
        self.row_ptr = np.searchsorted(rows_sorted, np.arange(self.nrows + 1)) if self.nrows else np.zeros(1)

    def spans(self, lat: float, lon: float, radius: float) -> list[tuple[int, int]]:
        if not self.nrows:
            return []
        dlat = lat_window_deg(radius)
        r0 = max(0, int(math.floor((lat - dlat - self.lat0) / self.h)))
        r1 = min(self.nrows - 1, int(math.floor((lat + dlat - self.lat0) / self.h)))
        lw = lon_window_deg(lat, radius)
        if lw is None:
            ranges = None
        else:
            ranges = [(max(lon - lw, -180.0), min(lon + lw, 180.0))]
            if lon - lw < -180.0:
                ranges.append((lon - lw + 360.0, 180.0))
            if lon + lw > 180.0:
                ranges.append((-180.0, lon + lw - 360.0))
        out = []
        for r in range(r0, r1 + 1):
            ra, rb = int(self.row_ptr[r]), int(self.row_ptr[r + 1])
            if ra == rb:
                continue
            if ranges is None:
                out.append((ra, rb))
                continue
            row_lon = self.lon_sorted[ra:rb]
            for x, y in ranges:
                pa = ra + int(np.searchsorted(row_lon, x, side="left"))
                pb = ra + int(np.searchsorted(row_lon, y, side="right"))
                if pb > pa:
                    out.append((pa, pb))
        return out


def build_pairs(cp: Compiled) -> Pairs:
    """Filter (volunteer, shift) pairs by availability, distance, skill and forbids — no V×S scan.

    A pinned pair is exempt from availability and distance (docs/contract.md, "Pins"): it becomes a
    candidate if the skill, forbid and hour rules allow it, and keeps its distance in the score.

    Volunteers are sorted into latitude rows (half the search radius high), each row by longitude
    (NearIndex). Shifts are taken in groups with the same [start, end): the volunteers free for that
    interval are found once per group (a sorted position list); each shift then reads, per row, the
    slice of that list inside its longitude window, so only nearby free volunteers reach the exact
    distance and skill tests.
    """
    near_index = NearIndex(cp)
    per_shift, dropped = _candidates_per_shift(cp, near_index)
    pairs = _assemble_pairs(cp, per_shift, dropped)
    pairs.near_index = near_index
    return pairs


def _shift_classes(cp: Compiled):
    """Shifts grouped by identical [start, end): (keys, shifts ordered by class, class boundaries)."""
    if not cp.S:
        return np.zeros((0, 2), dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(1)
    keys, cls = np.unique(np.stack([cp.sst, cp.sen], axis=1), axis=0, return_inverse=True)
    cls = cls.reshape(-1)
    by_class = np.argsort(cls, kind="stable")
    bounds = np.searchsorted(cls[by_class], np.arange(len(keys) + 1))
    return keys, by_class, bounds


def _candidates_per_shift(cp: Compiled, near_index: NearIndex) -> tuple[list, dict[int, str]]:
    """Per shift, its candidates as (volunteers ascending, slot-group masks, km), or None; and why
    some shifts got none at all."""
    order, unlimited = near_index.order, near_index.unlimited
    WSt = np.ascontiguousarray(cp.WS[order].T)
    WEt = np.ascontiguousarray(cp.WE[order].T)
    per_shift: list = [None] * cp.S
    dropped: dict[int, str] = {}
    keys, by_class, bounds = _shift_classes(cp)
    for c in range(len(keys)):
        a, b = int(keys[c, 0]), int(keys[c, 1])
        apos = np.nonzero(available_mask(cp, order, a, b, WSt, WEt))[0]
        unl = unlimited[available_mask(cp, unlimited, a, b)] if len(unlimited) else unlimited
        for s in by_class[bounds[c]:bounds[c + 1]].tolist():
            if not cp.groups[s]:
                dropped[s] = "no_places"
                continue
            if cp.sminv[s] > cp.scap[s]:
                dropped[s] = "min_exceeds_places"
                continue
            pins_here = cp.pins_by_shift.get(s)
            idx = _free_and_near(cp, near_index, s, apos, unl, pins_here)
            idx, gm, km = _allowed(cp, s, idx, pins_here)
            if len(idx) < max(int(cp.sminv[s]), 1):
                if len(idx):
                    dropped[s] = "too_few_candidates"
                continue
            srt = np.argsort(idx, kind="stable")
            per_shift[s] = (idx[srt], gm[srt], km[srt])
    return per_shift, dropped


def _free_and_near(cp: Compiled, near_index: NearIndex, s: int, apos, unl, pins_here) -> np.ndarray:
    """Volunteers free for shift s (``apos``: positions in the index order; ``unl``: no travel limit)
    in the index rows and longitude window around it, plus the volunteers pinned to it."""
    parts = []
    if len(apos):
        for pa, pb in near_index.spans(float(cp.slat[s]), float(cp.slon[s]), near_index.radius):
            i0 = np.searchsorted(apos, pa, side="left")
            i1 = np.searchsorted(apos, pb, side="left")
            if i1 > i0:
                parts.append(apos[i0:i1])
    idx = near_index.order[np.concatenate(parts)] if parts else np.zeros(0, dtype=np.int64)
    if len(unl):
        idx = np.concatenate([idx, unl])
    if pins_here is not None:  # a pin is a person's decision: availability and distance yield
        idx = np.concatenate([idx, pins_here[~np.isin(pins_here, idx)]])
    return idx


_NONE = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64))


def _allowed(cp: Compiled, s: int, idx: np.ndarray, pins_here) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Of these volunteers, those shift s allows — skill (rule 3), distance (rule 2, not for pins),
    hours (rule 7: a shift longer than their weekly hours), forbids (rule 4) — with their slot-group
    masks and distances."""
    if not len(idx):
        return _NONE
    gm = _group_masks(cp, s, idx)
    keep = gm != 0
    idx, gm = idx[keep], gm[keep]
    if not len(idx):
        return _NONE
    km, ok = _within_reach(cp, s, idx)
    if pins_here is not None:
        ok |= np.isin(idx, pins_here)
    idx, gm, km = idx[ok], gm[ok], km[ok]
    ok = (cp.vmax[idx] < 0) | (cp.vmax[idx] >= cp.sdur[s])
    if not ok.all():
        idx, gm, km = idx[ok], gm[ok], km[ok]
    fb = cp.forb_by_shift.get(s)
    if fb is not None and len(idx):
        ok = ~np.isin(idx, fb)
        idx, gm, km = idx[ok], gm[ok], km[ok]
    return idx, gm, km


def _group_masks(cp: Compiled, s: int, idx: np.ndarray) -> np.ndarray:
    """Per volunteer, the bit mask of the slot groups of shift s their skills let them fill."""
    gm = np.zeros(len(idx), dtype=np.int64)
    for g, (sk, _, _) in enumerate(cp.groups[s]):
        if sk is None:
            gm |= np.int64(1 << g)
        else:
            gm |= cp.skill_has[sk][idx].astype(np.int64) << g
    return gm


def _within_reach(cp: Compiled, s: int, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distances to shift s and whether each is within the travel limit: numpy, with the exact scalar
    formula near the limit so the boundary is exact."""
    km = haversine_many(cp.slat[s], cp.slon[s], cp.vlat[idx], cp.vlon[idx])
    lim = cp.vlimit[idx]
    ok = km <= lim
    near = np.nonzero(np.isfinite(lim) & (np.abs(km - lim) <= 1e-6))[0]
    for t in near.tolist():
        exact = haversine_km((cp.vlat[idx[t]], cp.vlon[idx[t]]), (cp.slat[s], cp.slon[s]))
        km[t] = exact
        ok[t] = exact <= lim[t]
    return km, ok


def _assemble_pairs(cp: Compiled, per_shift: list, dropped: dict[int, str]) -> Pairs:
    """All candidates in one set of arrays, grouped by shift, with distance units, preference and
    continuity flags."""
    S = cp.S
    got = [(s, r) for s, r in enumerate(per_shift) if r is not None]
    if got:
        pv = np.concatenate([r[0] for _, r in got]).astype(np.int64)
        ps = np.concatenate([np.full(len(r[0]), s, dtype=np.int64) for s, r in got])
        gm = np.concatenate([r[1] for _, r in got])
        km = np.concatenate([r[2] for _, r in got])
    else:
        pv = ps = gm = np.zeros(0, dtype=np.int64)
        km = np.zeros(0, dtype=np.float64)
    dunits = distance_units_many(km) if len(km) else np.zeros(0, dtype=np.int64)
    pref = np.zeros(len(pv), dtype=np.int64)
    cont = np.zeros(len(pv), dtype=np.int64)
    if len(pv):
        codes = pv * S + ps
        pc = [vs * S + s for s, vs in cp.pref_by_shift.items()]
        if pc:
            pref = np.isin(codes, np.concatenate(pc)).astype(np.int64)
        cc = [vs * S + s for s, vs in cp.cont_by_shift.items()]
        if cc:
            cont = np.isin(codes, np.concatenate(cc)).astype(np.int64)
    return Pairs(cp, pv, ps, km, dunits, pref, cont, gm, dropped)


def subset_pairs(cp: Compiled, pr: Pairs, keep: np.ndarray) -> Pairs:
    """The candidate pairs where ``keep`` is True, as a Pairs of their own (order kept)."""
    out = Pairs(cp, pr.pv[keep], pr.ps[keep], pr.km[keep], pr.dunits[keep], pr.pref[keep], pr.cont[keep],
                pr.gmask[keep], pr.dropped)
    if hasattr(pr, "near_index"):
        out.near_index = pr.near_index
    return out


def dominated_pairs(cp: Compiled, pr: Pairs, protected: np.ndarray) -> np.ndarray:
    """Pairs no optimal solution needs: True where a pair can be dropped without losing the optimum.

    A volunteer with a single candidate pair is *exclusive* to that shift: nothing else competes for
    them. A pair (u, s) of a non-exclusive volunteer is dominated when shift s has at least as many
    exclusive volunteers as places who could each take u's place — their slot groups include all of
    u's, their score is at least u's. In any solution that puts u on s, at most places − 1 others are
    on s, so one of those exclusive volunteers is free; swapping u for them keeps every rule (they have
    no other shift, the count is the same, the group the same) and loses nothing. Swapping one pair at
    a time shows that all dominated pairs can go at once; repeated while volunteers become exclusive.
    ``protected`` pairs (pins, approved pairs in repair mode) are never dropped.
    """
    drop = np.zeros(pr.P, dtype=bool)
    if not pr.P:
        return drop
    for _ in range(20):
        keep = ~drop
        deg = np.bincount(pr.pv[keep], minlength=cp.V)
        excl = keep & (deg[pr.pv] == 1)
        # only shifts with at least as many exclusive volunteers as places can hold dominated pairs
        csum = np.concatenate([[0], np.cumsum(excl)])
        n_excl = csum[pr.ptr_s[1:]] - csum[pr.ptr_s[:-1]]
        found = False
        for s in np.nonzero((n_excl >= cp.scap) & (cp.scap > 0))[0].tolist():
            a, b = int(pr.ptr_s[s]), int(pr.ptr_s[s + 1])
            rng_ = np.arange(a, b)
            ex = rng_[excl[a:b]]
            cap = int(cp.scap[s])
            cand = rng_[keep[a:b] & ~excl[a:b] & ~protected[a:b]]
            if not len(cand):
                continue
            exm, exs = pr.gmask[ex], pr.score[ex]
            for p in cand.tolist():
                m = int(pr.gmask[p])
                ok = exs[(exm & m) == m]
                if len(ok) >= cap and int(np.partition(ok, len(ok) - cap)[len(ok) - cap]) >= int(pr.score[p]):
                    drop[p] = True
                    found = True
        if not found:
            break
    return drop


# --------------------------------------------------------------------------------------------
# solution state and greedy
# --------------------------------------------------------------------------------------------


class State:
    """A solution: which pairs are assigned and to which slot group; checks rules 5–7 on the fly."""

    def __init__(self, cp: Compiled, pairs: Pairs):
        self.cp = cp
        self.pairs = pairs
        self.x = np.zeros(pairs.P, dtype=bool)
        self.g = np.full(pairs.P, -1, dtype=np.int64)
        self.sched: list[list[int]] = [[] for _ in range(cp.V)]  # pair indices per volunteer
        self.used = np.zeros(cp.V, dtype=np.int64)
        self.room = [[g[1] for g in gs] for gs in cp.groups]
        self.by_group = [[[] for _ in gs] for gs in cp.groups]
        self.count = np.zeros(cp.S, dtype=np.int64)
        self.busy = np.zeros((cp.V, cp.n_cells), dtype=bool)  # cells a volunteer's shifts cover whole

    def may_fit(self, idx: np.ndarray) -> np.ndarray:
        """Of pairs ``idx`` of one shift, those not ruled out at once by hours or a busy cell: the
        rest cannot fit (``fits`` is the exact test)."""
        cp, pr = self.cp, self.pairs
        v = pr.pv[idx]
        s = int(pr.ps[idx[0]])
        ok = (cp.vmax[v] < 0) | (self.used[v] + cp.sdur[s] <= cp.vmax[v])
        lo, hi = cp.cell_lo[s], cp.cell_hi[s]
        if hi > lo:
            ok &= ~self.busy[v, lo:hi].any(axis=1)
        return ok

    def fits(self, p: int) -> bool:
        """Volunteer of pair p is free for its shift (no overlap/rest conflict, within hours)."""
        cp, pr = self.cp, self.pairs
        v, s = int(pr.pv[p]), int(pr.ps[p])
        if cp.vmax[v] >= 0 and self.used[v] + cp.sdur[s] > cp.vmax[v]:
            return False
        a, free = cp.sst[s], cp.free_at[s]
        for q in self.sched[v]:
            t = pr.ps[q]
            if t == s or (a < cp.free_at[t] and cp.sst[t] < free):
                return False
        return True

    def _augment(self, s: int, mask: int, visited: set) -> int | None:
        room = self.room[s]
        for g in _bits(mask):
            if room[g] > 0 and g not in visited:
                return g
        gm = self.pairs.gmask
        for g in _bits(mask):
            if g in visited:
                continue
            visited.add(g)
            for q in list(self.by_group[s][g]):
                mq = int(gm[q]) & ~(1 << g)
                if not mq:
                    continue
                g2 = self._augment(s, mq, visited)
                if g2 is not None:
                    self.by_group[s][g].remove(q)
                    self.by_group[s][g2].append(q)
                    self.g[q] = g2
                    room[g2] -= 1
                    room[g] += 1
                    return g
        return None

    def place(self, p: int, check: bool = True) -> bool:
        if self.x[p]:
            return True
        if self.count[self.pairs.ps[p]] >= self.cp.scap[self.pairs.ps[p]]:
            return False
        if check and not self.fits(p):
            return False
        s = int(self.pairs.ps[p])
        g = self._augment(s, int(self.pairs.gmask[p]), set())
        if g is None:
            return False
        self._take(p, g)
        return True

    def _take(self, p: int, g: int) -> None:
        """Pair p takes a place of slot group g of its shift (no check)."""
        s, v = int(self.pairs.ps[p]), int(self.pairs.pv[p])
        self.x[p] = True
        self.g[p] = g
        self.room[s][g] -= 1
        self.by_group[s][g].append(p)
        self.sched[v].append(p)
        self.used[v] += self.cp.sdur[s]
        self.count[s] += 1
        self.busy[v, self.cp.cell_lo[s]:self.cp.cell_hi[s]] = True

    def remove(self, p: int) -> None:
        if not self.x[p]:
            return
        s, v, g = int(self.pairs.ps[p]), int(self.pairs.pv[p]), int(self.g[p])
        self.x[p] = False
        self.g[p] = -1
        self.room[s][g] += 1
        self.by_group[s][g].remove(p)
        self.sched[v].remove(p)
        self.used[v] -= self.cp.sdur[s]
        self.count[s] -= 1
        # a volunteer's shifts do not conflict, so no other of them covers these cells
        self.busy[v, self.cp.cell_lo[s]:self.cp.cell_hi[s]] = False

    def members(self, s: int) -> list[int]:
        return [p for grp in self.by_group[s] for p in grp]

    def objective(self, mask=None) -> int:
        sel = self.x if mask is None else (self.x & mask)
        return int(self.pairs.score[sel].sum())

    def set_block(self, shifts, chosen: dict[int, int]) -> None:
        """Replace the assignments of these shifts by ``chosen`` (pair -> slot group)."""
        for s in shifts:
            for p in self.members(int(s)):
                self.remove(p)
        for p, g in chosen.items():
            self._take(p, g)


def _fill_shift(state: State, s: int, pinned: np.ndarray, load: np.ndarray, freed: np.ndarray) -> None:
    """Shift s takes its best-scoring free candidates (fewest alternatives first among equals); left
    below its minimum it is emptied again, unless pinned, and those volunteers marked ``freed``."""
    cp, pr = state.cp, state.pairs
    if cp.scap[s] == 0 or state.count[s] >= cp.scap[s]:
        return
    idx = pr.of_shift(s)
    if not len(idx):
        return
    cand = idx[np.lexsort((load[pr.pv[idx]], -pr.score[idx]))]
    cand = cand[((pr.score[cand] > 0) | pinned[cand]) & state.may_fit(cand)]
    for p in cand.tolist():
        if state.count[s] >= cp.scap[s]:
            break
        state.place(p)
    if 0 < state.count[s] < cp.sminv[s]:
        members = state.members(s)
        if not any(pinned[p] for p in members):
            for p in members:
                state.remove(p)
                freed[pr.pv[p]] = True


def greedy(state: State, shifts, pinned: np.ndarray, bonus: np.ndarray, deadline: float | None = None) -> bool:
    """Urgent and scarce shifts first, best-scoring free volunteers first; under-staffed shifts emptied.

    Pins are placed first and kept; in repair mode approved pairs next. Returns False when the pins
    themselves could not all be placed (the CP-SAT model then decides).
    """
    cp, pr = state.cp, state.pairs
    ok = True
    pin_idx = np.nonzero(pinned)[0]
    for p in pin_idx:
        if not state.place(int(p)):
            ok = False
    prev_idx = np.nonzero(bonus > 0)[0]
    for p in prev_idx[np.argsort(-pr.score[prev_idx], kind="stable")]:
        state.place(int(p))
    shifts = np.asarray(shifts, dtype=np.int64)
    if not len(shifts):
        return ok
    ncand = pr.ptr_s[shifts + 1] - pr.ptr_s[shifts]
    scarcity = ncand / np.maximum(cp.scap[shifts], 1)
    order = shifts[np.lexsort((scarcity, -cp.surg[shifts]))]
    load = np.bincount(pr.pv, minlength=cp.V) if pr.P else np.zeros(cp.V, dtype=np.int64)
    freed = np.zeros(cp.V, dtype=bool)  # volunteers taken off an under-staffed shift
    # past ``deadline`` (checked every 64 shifts) the shifts not reached yet stay empty: the result
    # must come within the time limit, and every shift filled so far keeps every rule
    for k, s in enumerate(order.tolist()):
        if deadline is not None and k and k % 64 == 0 and time.monotonic() > deadline:
            return ok
        _fill_shift(state, s, pinned, load, freed)
    if freed.any():
        # only a freed volunteer can newly fit anywhere: revisit the shifts they are candidates of
        again = np.zeros(cp.S, dtype=bool)
        again[pr.ps[freed[pr.pv]]] = True
        for k, s in enumerate(order[again[order]].tolist()):
            if deadline is not None and k and k % 64 == 0 and time.monotonic() > deadline:
                return ok
            _fill_shift(state, s, pinned, load, freed)
    return ok


# --------------------------------------------------------------------------------------------
# CP-SAT sub-model over a block of shifts (the rest of the solution fixed)
# --------------------------------------------------------------------------------------------


def maximal_cliques(starts, ends) -> list[list[int]]:
    """Maximal cliques of the interval graph of half-open [start, end) (ends include rest)."""
    events = [(e, 0, i) for i, e in enumerate(ends)] + [(s, 1, i) for i, s in enumerate(starts)]
    events.sort()
    active: set[int] = set()
    last_start = False
    out = []
    for _, kind, i in events:
        if kind == 1:
            active.add(i)
            last_start = True
        else:
            if last_start and len(active) >= 2:
                out.append(sorted(active))
            last_start = False
            active.discard(i)
    return out


def _top_pairs(state: State, idx: np.ndarray, top_k: int, pinned, bonus) -> np.ndarray:
    """Per shift, the best ``top_k`` + 3×places candidates (by score, then fewest alternatives),
    always keeping pairs that are assigned now, pinned or approved before; a search restriction
    only — bounds are computed on all pairs."""
    cp, pr = state.cp, state.pairs
    ps = pr.ps[idx]
    order = np.lexsort((-pr.score[idx], ps))
    idx, ps = idx[order], ps[order]
    first = np.searchsorted(ps, ps, side="left")
    rank = np.arange(len(idx)) - first
    allow = top_k + 3 * cp.scap[ps]
    keep = (rank < allow) | state.x[idx] | pinned[idx] | (bonus[idx] > 0)
    return np.sort(idx[keep])


class _Progress(cp_model.CpSolverSolutionCallback):
    """Reports each improving solution's contract objective (the repair bonus taken back out)."""

    def __init__(self, on_solution, bonus_lits, weight):
        super().__init__()
        self._on = on_solution
        self._lits = bonus_lits
        self._w = weight

    def on_solution_callback(self):
        obj = self.objective_value
        if self._lits:
            obj -= self._w * sum(1 for lit in self._lits if self.boolean_value(lit))
        self._on(int(round(obj)), int(math.floor(self.best_objective_bound + 1e-6)))


class SubResult:
    def __init__(self, status, chosen, objective, bound, core=None, build_seconds=0.0, solution_from=None):
        self.build_seconds = build_seconds
        self.solution_from = solution_from  # with a MIP twin: whose solution was kept ("CP-SAT", "HiGHS")
        self.status = status
        self.chosen = chosen
        self.objective = objective
        self.bound = bound
        self.core = core or []


def solve_block(
    state: State,
    block: np.ndarray,
    *,
    pinned,
    bonus,
    time_limit: float,
    workers: int,
    seed: int,
    on_solution=None,
    use_hint=True,
    pin_assumptions=False,
    kept_weight: int = 0,
    deadline: float | None = None,
    top_k: int | None = None,
    twin: bool = False,
    twin_takes_all: bool = False,
) -> SubResult:
    """Solve the shifts in ``block`` exactly (within time) with everything else held fixed.

    ``time_limit`` counts from the call (model building included); ``deadline`` caps it. With
    ``twin``, HiGHS searches the same model beside CP-SAT (``_BlockModel.solve``); with
    ``twin_takes_all`` too, HiGHS takes every worker and CP-SAT what HiGHS leaves idle.
    """
    t_start = time.monotonic()
    end = t_start + time_limit
    if deadline is not None:
        end = min(end, deadline)
    pr = state.pairs
    idx, outside_used = _block_candidates(state, block)
    if top_k is not None and len(idx):
        idx = _top_pairs(state, idx, top_k, pinned, bonus)
    model = _BlockModel(state, idx, pinned=pinned, pin_assumptions=pin_assumptions)
    for s in block.tolist():
        model.add_shift(s)
    if len(idx):
        model.add_volunteer_limits(idx, outside_used)
    model.maximize(idx, (pr.score[idx] + bonus[idx]).tolist())
    if use_hint:
        model.add_hint(idx)
    if model.assumptions:
        model.m.add_assumptions(model.assumptions)
    build_seconds = time.monotonic() - t_start
    return model.solve(
        idx,
        end=end,
        workers=workers,
        seed=seed,
        on_solution=on_solution,
        bonus=bonus,
        kept_weight=kept_weight,
        build_seconds=build_seconds,
        twin=twin,
        twin_takes_all=twin_takes_all,
    )


def _block_candidates(state: State, block: np.ndarray) -> tuple[np.ndarray, dict[int, int]]:
    """The block's candidate pairs that still fit beside the volunteers' fixed shifts outside it,
    and each such volunteer's minutes (µs) already used outside the block."""
    cp, pr = state.cp, state.pairs
    in_block = np.zeros(cp.S, dtype=bool)
    in_block[block] = True
    idx = np.concatenate([pr.of_shift(int(s)) for s in block]) if len(block) else np.zeros(0, dtype=np.int64)
    outside_used: dict[int, int] = {}
    outside: dict[int, list[int]] = {}
    for v in np.unique(pr.pv[idx]).tolist():
        qs = [q for q in state.sched[v] if not in_block[pr.ps[q]]]
        if qs:
            outside[v] = [int(pr.ps[q]) for q in qs]
            outside_used[v] = int(sum(cp.sdur[t] for t in outside[v]))
    if outside and len(idx):
        idx = idx[~_clash_with_outside(cp, pr, idx, outside, outside_used)]
    return idx, outside_used


def _clash_with_outside(
    cp: Compiled, pr: Pairs, idx: np.ndarray, outside: dict, outside_used: dict
) -> np.ndarray:
    """Which pairs clash with a fixed shift outside the block or no longer fit the hours (vectorised)."""
    ov = np.array(sorted(outside), dtype=np.int64)
    lens = np.array([len(outside[v]) for v in ov.tolist()], dtype=np.int64)
    optr = np.concatenate([[0], np.cumsum(lens)])
    ot = np.array([t_ for v in ov.tolist() for t_ in outside[v]], dtype=np.int64)
    oused = np.array([outside_used[v] for v in ov.tolist()], dtype=np.int64)
    pv_i, ps_i = pr.pv[idx], pr.ps[idx]
    loc = np.minimum(np.searchsorted(ov, pv_i), len(ov) - 1)
    has = ov[loc] == pv_i
    bad = np.zeros(len(idx), dtype=bool)
    lim = cp.vmax[pv_i]
    bad[has] = (lim[has] >= 0) & (oused[loc[has]] + cp.sdur[ps_i[has]] > lim[has])
    cnt = np.where(has, lens[loc], 0)
    if cnt.sum():
        rep = np.repeat(np.arange(len(idx)), cnt)
        first = np.repeat(optr[loc] - np.concatenate([[0], np.cumsum(cnt)[:-1]]), cnt)
        tt = ot[np.arange(len(rep)) + first]
        ss = ps_i[rep]
        clash = (cp.sst[tt] < cp.free_at[ss]) & (cp.sst[ss] < cp.free_at[tt])
        bad |= np.bincount(rep[clash], minlength=len(idx)) > 0
    return bad


_STATUS_NAMES = {
    cp_model.OPTIMAL: "OPTIMAL",
    cp_model.FEASIBLE: "FEASIBLE",
    cp_model.INFEASIBLE: "INFEASIBLE",
    cp_model.MODEL_INVALID: "MODEL_INVALID",
}


class _BlockModel:
    """The CP-SAT model of one block: x[p] per candidate pair, and where a pair could fill more than
    one slot group, y per (pair, group); hints come from the current solution."""

    def __init__(self, state: State, idx: np.ndarray, *, pinned, pin_assumptions: bool):
        self.state, self.cp, self.pr = state, state.cp, state.pairs
        self.pinned = pinned
        self.pin_assumptions = pin_assumptions
        self.m = cp_model.CpModel()
        self.x = {}
        for p in idx.tolist():
            self.x[p] = self.m.new_bool_var("")
        self.hint_vars: list[int] = []
        self.hint_vals: list[int] = []
        self.ys_of: dict[int, list] = {}
        self.assumptions: list = []
        self.pin_of_lit: dict[int, int] = {}

    def add_shift(self, s: int) -> None:
        """The pins, slot counts (rule 5) and minimum staffing (rule 8) of shift s."""
        ps_idx = [p for p in self.pr.of_shift(s).tolist() if p in self.x]
        self._add_pins(s, ps_idx)
        if not ps_idx:
            return
        terms = self._group_terms(s, ps_idx)
        for g, (_, count, _) in enumerate(self.cp.groups[s]):
            if len(terms[g]) > count:
                self.m.add(cp_model.LinearExpr.sum(terms[g]) <= count)
        self._add_min_staffing(s, ps_idx)

    def _add_pins(self, s: int, ps_idx: list[int]) -> None:
        m, x = self.m, self.x
        for p in ps_idx:
            if self.pinned[p]:
                if self.pin_assumptions:  # as assumptions, so that an infeasible core names pins
                    lit = m.new_bool_var("")
                    m.add_implication(lit, x[p])
                    self.assumptions.append(lit)
                    self.pin_of_lit[lit.index] = p
                else:
                    m.add(x[p] == 1)
        pinned_here = [p for p in self.pr.of_shift(s).tolist() if self.pinned[p] and p not in x]
        if pinned_here:  # a pin already impossible given the fixed rest: block is infeasible
            m.add_bool_or([])

    def _group_terms(self, s: int, ps_idx: list[int]) -> list[list]:
        """Per slot group of shift s, the literals that fill it."""
        groups = self.cp.groups[s]
        terms: list[list] = [[] for _ in groups]
        if len(groups) == 1:
            terms[0] = [self.x[p] for p in ps_idx]
            return terms
        gm, state = self.pr.gmask, self.state
        for p in ps_idx:
            gl = list(_bits(int(gm[p])))
            if len(gl) == 1:
                terms[gl[0]].append(self.x[p])
                continue
            ys = []
            for g in gl:
                y = self.m.new_bool_var("")
                terms[g].append(y)
                ys.append((g, y))
                self.hint_vars.append(y.index)
                self.hint_vals.append(int(bool(state.x[p] and state.g[p] == g)))
            self.m.add(cp_model.LinearExpr.sum([y for _, y in ys]) == self.x[p])
            self.ys_of[p] = ys
        return terms

    def _add_min_staffing(self, s: int, ps_idx: list[int]) -> None:
        cp, m = self.cp, self.m
        minv = int(cp.sminv[s])
        if minv < 2:
            return
        staffed = m.new_bool_var("")
        total = cp_model.LinearExpr.sum([self.x[p] for p in ps_idx])
        m.add(total >= minv * staffed)
        m.add(total <= min(len(ps_idx), int(cp.scap[s])) * staffed)
        self.hint_vars.append(staffed.index)
        self.hint_vals.append(int(self.state.count[s] > 0))

    def add_volunteer_limits(self, idx: np.ndarray, outside_used: dict[int, int]) -> None:
        """Per volunteer: cliques of pairwise conflicting shifts (rule 6) and the hours left (rule 7)."""
        cp, pr = self.cp, self.pr
        order = idx[np.argsort(pr.pv[idx], kind="stable")]
        vs = pr.pv[order]
        cuts = np.nonzero(np.diff(vs))[0] + 1
        starts = np.concatenate([[0], cuts])
        ends = np.concatenate([cuts, [len(order)]])
        for a, b in zip(starts.tolist(), ends.tolist()):
            if b - a < 1:
                continue
            plist = order[a:b].tolist()
            v = int(vs[a])
            sh = [int(pr.ps[p]) for p in plist]
            if len(plist) >= 2:
                self._add_no_overlap(plist, sh)
            if cp.vmax[v] >= 0:
                self._add_hours(plist, sh, int(cp.vmax[v]) - outside_used.get(v, 0))

    def _add_no_overlap(self, plist: list[int], sh: list[int]) -> None:
        cp = self.cp
        st_ = [int(cp.sst[t]) for t in sh]
        en_ = [int(cp.free_at[t]) for t in sh]
        for clique in maximal_cliques(st_, en_):
            self.m.add_at_most_one([self.x[plist[i]] for i in clique])

    def _add_hours(self, plist: list[int], sh: list[int], rem: int) -> None:
        durs = [int(self.cp.sdur[t]) for t in sh]
        if sum(durs) > rem:
            gcd = reduce(math.gcd, durs + [max(rem, 0)]) or 1
            self.m.add(
                cp_model.LinearExpr.weighted_sum([self.x[p] for p in plist], [d // gcd for d in durs])
                <= rem // gcd
            )

    def maximize(self, idx: np.ndarray, coef: list[int]) -> None:
        self.m.maximize(cp_model.LinearExpr.weighted_sum([self.x[p] for p in idx.tolist()], coef))

    def add_hint(self, idx: np.ndarray) -> None:
        self.hint_vars.extend(self.x[p].index for p in idx.tolist())
        self.hint_vals.extend(self.state.x[idx].astype(np.int64).tolist())
        self.m.proto.solution_hint.vars.extend(self.hint_vars)
        self.m.proto.solution_hint.values.extend(self.hint_vals)

    def solve(self, idx, *, end, workers, seed, on_solution, bonus, kept_weight, build_seconds,
              twin: bool = False, twin_takes_all: bool = False) -> SubResult:
        """CP-SAT on the model; with ``twin``, its MIP twin on HiGHS searches beside it (matching.mip)
        and the first to prove stops the other. The twin takes mip.THREADS of the workers, or with
        ``twin_takes_all`` every one, CP-SAT then searching on one at the lowest priority."""
        solver = cp_model.CpSolver()
        prm = solver.parameters
        # CP-SAT returns some time after its limit, more for a larger model: it is told to stop that
        # much earlier (STOP_LATENCY_PER_BUILD, with its measurements)
        prm.max_time_in_seconds = max(0.01, end - time.monotonic() - STOP_LATENCY_PER_BUILD * build_seconds)
        prm.num_workers = 1 if self.assumptions else max(1, workers)
        mip = None
        if twin and not self.assumptions:
            threads = max(1, workers) if twin_takes_all else mip_twin.THREADS
            mip = MipTwin.beside(self.m.proto, prm.max_time_in_seconds, on_proven=solver.stop_search,
                                 threads=threads)
        yields = mip is not None and twin_takes_all
        if mip is not None:
            prm.num_workers = mip.workers_left(prm.num_workers)
        prm.random_seed = int(seed)
        # CP-SAT's presolve splits these models into LP components and then loses the objective bound
        # (measured: blocks that never close with presolve are proven optimal in < 1 s without it)
        prm.cp_model_presolve = False
        prm.log_search_progress = LOG_SEARCH
        for name, value in SOLVER_PARAMS.items():
            setattr(prm, name, value)
        cb = None
        if on_solution is not None:
            cb = _Progress(on_solution, [self.x[p] for p in idx.tolist() if bonus[p] > 0], kept_weight)
        def search():
            return solver.solve(self.m, cb) if cb is not None else solver.solve(self.m)

        status = at_lowest_priority(search) if yields else search()
        chosen = {}
        core = []
        if mip is not None:  # proven: the twin is ended; else it ends at its own limit and reports
            # its report is awaited until TWIN_GRACE past the end at most, however late CP-SAT returned
            mip.stop(grace=0.0 if status == cp_model.OPTIMAL else max(0.0, end + TWIN_GRACE - time.monotonic()))
            return self._with_twin(solver, status, mip.result(), idx, build_seconds)
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            chosen = self._chosen(solver.boolean_value, idx)
            obj = int(round(solver.objective_value))
            bound = int(math.floor(solver.best_objective_bound + 1e-6))
        else:
            obj, bound = None, None
            if status == cp_model.INFEASIBLE and self.assumptions:
                core = [
                    self.pin_of_lit[i]
                    for i in solver.sufficient_assumptions_for_infeasibility()
                    if i in self.pin_of_lit
                ]
        return SubResult(_STATUS_NAMES.get(status, "UNKNOWN"), chosen, obj, bound, core, build_seconds)

    def _with_twin(self, solver, status, twin: TwinResult | None, idx: np.ndarray, build_seconds) -> SubResult:
        """CP-SAT's outcome and its MIP twin's together: the better solution, the smaller bound."""
        found = status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
        obj = int(round(solver.objective_value)) if found else None
        bound = int(math.floor(solver.best_objective_bound + 1e-6)) if found else None
        chosen = self._chosen(solver.boolean_value, idx) if found else {}
        proven = status == cp_model.OPTIMAL
        if status == cp_model.INFEASIBLE or twin is None:
            return SubResult(_STATUS_NAMES.get(status, "UNKNOWN"), chosen, obj, bound, [], build_seconds)
        source = "CP-SAT"
        if twin.objective is not None and (obj is None or twin.objective > obj):
            obj = int(round(twin.objective))
            chosen = self._chosen(lambda lit: bool(twin.values[lit.index]), idx)
            proven, source = twin.proven, "HiGHS"
        if twin.bound is not None and math.isfinite(twin.bound):
            twin_bound = int(math.floor(twin.bound + 1e-6))
            bound = twin_bound if bound is None else min(bound, twin_bound)
        if obj is None:
            return SubResult("UNKNOWN", {}, None, None, [], build_seconds)
        bound = max(obj, bound) if bound is not None else obj
        proven = proven or obj >= bound
        return SubResult("OPTIMAL" if proven else "FEASIBLE", chosen, obj, bound, [], build_seconds,
                         solution_from=source)

    def _chosen(self, is_true, idx: np.ndarray) -> dict[int, int]:
        """The solution (``is_true(literal)``) as pair -> slot group."""
        cp, pr, gm = self.cp, self.pr, self.pr.gmask
        chosen = {}
        for p in idx.tolist():
            if is_true(self.x[p]):
                gl = list(_bits(int(gm[p])))
                if len(cp.groups[int(pr.ps[p])]) == 1 or len(gl) == 1:
                    chosen[p] = 0 if len(cp.groups[int(pr.ps[p])]) == 1 else gl[0]
                else:
                    for g, y in self.ys_of[p]:
                        if is_true(y):
                            chosen[p] = g
                            break
        return chosen


# --------------------------------------------------------------------------------------------
# decomposition and bounds
# --------------------------------------------------------------------------------------------


def components(cp: Compiled, pr: Pairs) -> list[np.ndarray]:
    """Connected components of the candidate graph, as arrays of shift indices (shifts with pairs)."""
    seen_s = np.zeros(cp.S, dtype=bool)
    seen_v = np.zeros(cp.V, dtype=bool)
    has = (pr.ptr_s[1:] - pr.ptr_s[:-1]) > 0
    comps = []
    for s0 in np.nonzero(has)[0].tolist():
        if seen_s[s0]:
            continue
        seen_s[s0] = True
        stack = [s0]
        members = []
        while stack:
            s = stack.pop()
            members.append(s)
            vs = pr.pv[pr.ptr_s[s]:pr.ptr_s[s + 1]]
            vs = vs[~seen_v[vs]]
            if not len(vs):
                continue
            seen_v[vs] = True
            nxt = np.concatenate([pr.ps[pr.order_v[pr.ptr_v[v]:pr.ptr_v[v + 1]]] for v in vs.tolist()])
            nxt = np.unique(nxt[~seen_s[nxt]])
            seen_s[nxt] = True
            stack.extend(nxt.tolist())
        comps.append(np.array(sorted(members), dtype=np.int64))
    return comps


def pair_indices(pr: Pairs, shifts: np.ndarray) -> np.ndarray:
    if not len(shifts):
        return np.zeros(0, dtype=np.int64)
    return np.concatenate([np.arange(pr.ptr_s[s], pr.ptr_s[s + 1]) for s in shifts.tolist()])


def trivial_bound(cp: Compiled, pr: Pairs, shifts: np.ndarray) -> int:
    """Each shift filled with its best-scoring candidates, ignoring the volunteers' other shifts."""
    total = 0
    for s in shifts.tolist():
        sc = pr.score[pr.ptr_s[s]:pr.ptr_s[s + 1]]
        sc = sc[sc > 0]
        if len(sc):
            k = int(min(cp.scap[s], len(sc)))
            total += int(np.sort(sc)[::-1][:k].sum())
    return total


def stab_points(cp: Compiled) -> np.ndarray:
    """Assign each shift a time point inside [start, end + rest): shifts sharing a point pairwise conflict."""
    ext_end = cp.free_at
    order = np.argsort(ext_end, kind="stable")
    point = np.zeros(cp.S, dtype=np.int64)
    cur, pid = None, -1
    for s in order.tolist():
        if cur is None or cp.sst[s] > cur:
            cur = int(ext_end[s]) - 1
            pid += 1
        point[s] = pid
    return point


def flow_bound(
    cp: Compiled,
    pr: Pairs,
    idx: np.ndarray,
    points: np.ndarray,
    *,
    primal: int | None = None,
    deadline: float | None = None,
    max_iter: int = 30,
    chosen: list | None = None,
    prices: dict | None = None,
    schedules: bool = True,
) -> int | None:
    """Upper bound from a min-cost flow relaxation with Lagrangian prices on the hour limits.

    source → volunteer (capacity: how many of its shifts fit its hours, shortest first) →
    (volunteer, time point) (capacity 1: shifts sharing a point pairwise conflict) → slot group
    (profit: score − λ_v × minutes) → sink (slot count); bound = flow profit + Σ λ_v × max_minutes.
    Valid for every λ ≥ 0; λ is improved by subgradient steps (Polyak, towards ``primal``) until
    ``deadline``. Drops min staffing, pins and conflicts between shifts at different points.
    With ``chosen`` (a list), the pairs the best flow uses are appended to it, best profit first.
    With ``prices`` (a dict), prices["lam"] starts λ (volunteer -> price; missing: 0) and ends as the
    latest λ of the steps.
    With ``schedules`` the best flow's slot prices then give the schedule bound (matching.schedules:
    each volunteer's week solved exactly, never above the flow's bound), and the smaller is returned.
    """
    idx = idx[pr.score[idx] > 0]
    if not len(idx):
        return 0
    net = _FlowNetwork(cp, pr, idx, points)
    lam = np.zeros(net.nv)
    if prices is not None and prices.get("lam") is not None:  # prices per volunteer, from before
        lam = np.array([prices["lam"].get(int(v), 0.0) for v in net.uv.tolist()])
    best = None
    best_flow = None
    theta = 1.0
    stall = 0
    for it in range(max_iter):
        solved = net.solve(lam)
        if solved is None:
            break
        value, flow = solved
        if best is None or value < best:
            best, best_flow = value, flow
            stall = 0
            if chosen is not None:
                chosen[:] = net.used_pairs(idx, flow.pairs(), lam)
        else:
            stall += 1
            if stall >= 2:
                theta /= 2.0
                stall = 0
        if primal is None or (deadline is not None and time.monotonic() > deadline) or not net.limited.any():
            break
        g = net.subgradient(lam, flow.pairs())
        norm = float((g * g).sum())
        if norm <= 1e-9 or best <= primal:
            break
        lam = np.maximum(0.0, lam + theta * (value - primal) / norm * g)
        if prices is not None:
            # the latest prices, not the best bound's: the first steps overshoot (tight district:
            # the bound beat λ = 0's only at the seventh), yet they already price the hours
            prices["lam"] = dict(zip(net.uv.tolist(), lam.tolist()))
        if deadline is not None and time.monotonic() > deadline:
            break
    if schedules and best_flow is not None:
        pair_price, places_priced = net.slot_prices(best_flow)
        best = min(best, schedule_bound(cp, pr, idx, pair_price, places_priced))
    return best


class _FlowNetwork:
    """The arcs of flow_bound's network for these pairs (all with a positive score)."""

    SRC, SNK = 0, 1

    def __init__(self, cp: Compiled, pr: Pairs, idx: np.ndarray, points: np.ndarray):
        pv, ps = pr.pv[idx], pr.ps[idx]
        self.uv, self.vloc = np.unique(pv, return_inverse=True)
        self.nv = len(self.uv)
        self.dur = cp.sdur[ps]
        kcap = self._shifts_within_hours(cp)
        cg, ncg, cg_v = self._point_nodes(ps, points)
        us_, sloc = np.unique(ps, return_inverse=True)
        ngs = np.array([len(cp.groups[s]) for s in us_.tolist()], dtype=np.int64)
        gbase = np.concatenate([[0], np.cumsum(ngs)[:-1]])
        n_g = int(ngs.sum())
        counts = np.array([g[1] for s in us_.tolist() for g in cp.groups[s]], dtype=np.int64)
        v0 = 2
        c0 = v0 + self.nv
        g0 = c0 + ncg
        head_t = [np.full(self.nv, self.SRC), v0 + cg_v]
        head_h = [v0 + np.arange(self.nv), c0 + np.arange(ncg)]
        head_c = [kcap, np.ones(ncg, dtype=np.int64)]
        gm = pr.gmask[idx]
        pair_tail, pair_head, pair_of = [], [], []
        for g in range(int(ngs.max())):
            sel = np.nonzero((gm >> g) & 1)[0]
            if not len(sel):
                continue
            pair_tail.append(c0 + cg[sel])
            pair_head.append(g0 + gbase[sloc[sel]] + g)
            pair_of.append(sel)
        pair_tail = np.concatenate(pair_tail)
        pair_head = np.concatenate(pair_head)
        self.pair_of = np.concatenate(pair_of)
        self.pair_head = pair_head
        self.g0, self.counts, self.n_nodes = g0, counts, g0 + n_g
        self.n_pairs = len(pair_tail)
        self.supply = int(kcap.sum())
        self.tails = np.concatenate(head_t + [pair_tail, g0 + np.arange(n_g), [self.SRC]]).astype(np.int32)
        self.heads = np.concatenate(head_h + [pair_head, np.full(n_g, self.SNK), [self.SNK]]).astype(np.int32)
        self.caps = np.concatenate(
            head_c + [np.ones(len(pair_tail), dtype=np.int64), counts, [self.supply]]
        ).astype(np.int64)
        self.n_fixed = self.nv + ncg
        self.score = pr.score[idx].astype(np.float64)
        self.minutes = self.dur.astype(np.float64) / MINUTE_US
        self.vlimit_min = cp.vmax[self.uv].astype(np.float64) / MINUTE_US
        self.limited = cp.vmax[self.uv] >= 0

    def _shifts_within_hours(self, cp: Compiled) -> np.ndarray:
        """Per volunteer, how many of their shifts fit their hours (shortest first)."""
        o = np.lexsort((self.dur, self.vloc))
        vs, ds = self.vloc[o], self.dur[o]
        cs = np.cumsum(ds)
        first = np.searchsorted(vs, np.arange(self.nv))
        base = np.where(first > 0, cs[np.maximum(first - 1, 0)], 0)
        within = cs - base[vs]
        limit = cp.vmax[self.uv][vs]
        fits = (limit < 0) | (within <= limit)
        return np.bincount(vs, weights=fits, minlength=self.nv).astype(np.int64)

    def _point_nodes(self, ps: np.ndarray, points: np.ndarray):
        """The (volunteer, time point) nodes: each pair's node, how many, and each node's volunteer."""
        npts = int(points.max()) + 1
        key = self.vloc.astype(np.int64) * npts + points[ps]
        ukey, cg = np.unique(key, return_inverse=True)
        return cg, len(ukey), (ukey // npts).astype(np.int64)

    def solve(self, lam: np.ndarray):
        """(bound for these prices, a function giving the pair arcs' flows), or None."""
        profit = np.ceil(self.score - lam[self.vloc] * self.minutes - 1e-9)
        costs = np.zeros(len(self.tails), dtype=np.int64)
        costs[self.n_fixed:self.n_fixed + self.n_pairs] = -profit[self.pair_of].astype(np.int64)
        f = min_cost_flow.SimpleMinCostFlow()
        arcs = f.add_arcs_with_capacity_and_unit_cost(self.tails, self.heads, self.caps, costs)
        f.set_nodes_supplies(
            np.array([self.SRC, self.SNK], dtype=np.int32),
            np.array([self.supply, -self.supply], dtype=np.int64),
        )
        if f.solve() != f.OPTIMAL:
            return None
        value = -f.optimal_cost() + float((lam * np.where(self.limited, self.vlimit_min, 0.0)).sum())
        return int(math.floor(value + 1e-6)), _SolvedFlow(f, arcs, costs, self.n_fixed, self.n_pairs)

    def slot_prices(self, flow: "_SolvedFlow") -> tuple[np.ndarray, float]:
        """The slot groups' prices at this optimal flow (its potentials: the most a path from the
        source gains by reaching the group, at least 0), as (each pair's cheapest price among the
        groups it may fill, Σ price × places)."""
        dist = residual_distances(
            self.tails, self.heads, self.caps, flow.costs, flow.all(), self.SRC, self.n_nodes
        )
        gain = dist[self.SNK] - dist
        price = np.where(np.isfinite(gain), np.maximum(gain, 0.0), 0.0)
        pair_price = np.full(len(self.score), np.inf)
        np.minimum.at(pair_price, self.pair_of, price[self.pair_head])
        group_price = price[self.g0:self.g0 + len(self.counts)]
        return pair_price, float((group_price * self.counts).sum())

    def used_pairs(self, idx: np.ndarray, flow: np.ndarray, lam: np.ndarray) -> list[int]:
        """The pairs (of ``idx``) this flow uses, highest profit at these prices first."""
        sel = np.unique(self.pair_of[flow > 0])
        profit = self.score[sel] - lam[self.vloc[sel]] * self.minutes[sel]
        return idx[sel[np.argsort(-profit, kind="stable")]].tolist()

    def subgradient(self, lam: np.ndarray, flow: np.ndarray) -> np.ndarray:
        """Minutes used beyond each volunteer's limit (projected: λ cannot go below zero)."""
        used = np.bincount(
            self.vloc[self.pair_of], weights=flow * self.minutes[self.pair_of], minlength=self.nv
        )
        g = np.where(self.limited, used - self.vlimit_min, 0.0)
        return np.where((lam <= 0) & (g < 0), 0.0, g)


class _SolvedFlow:
    """An optimal flow of _FlowNetwork: the pair arcs' flows, and every arc's with its costs."""

    def __init__(self, solver, arcs, costs, n_fixed: int, n_pairs: int):
        self.solver, self.arcs, self.costs = solver, arcs, costs
        self.n_fixed, self.n_pairs = n_fixed, n_pairs

    def pairs(self) -> np.ndarray:
        return self.solver.flows(self.arcs[self.n_fixed:self.n_fixed + self.n_pairs])

    def all(self) -> np.ndarray:
        return self.solver.flows(self.arcs)


def split_blocks(
    cp: Compiled, pr: Pairs, shifts: np.ndarray, target: int, rng: random.Random
) -> list[np.ndarray]:
    """Recursive bisection of shifts by place (weighted by candidate pairs) into blocks of ~target pairs.

    The cut positions are drawn at random around the median, so the borders move between rounds.
    """
    w = (pr.ptr_s[shifts + 1] - pr.ptr_s[shifts]).astype(np.float64)
    y = cp.slat[shifts] * 111.2
    x = cp.slon[shifts] * 111.2 * np.cos(np.radians(cp.slat[shifts]))
    out = []
    stack = [np.arange(len(shifts))]
    while stack:
        part = stack.pop()
        if w[part].sum() <= target or len(part) <= 1:
            out.append(shifts[part])
            continue
        span_x = np.ptp(x[part]) if len(part) else 0.0
        span_y = np.ptp(y[part]) if len(part) else 0.0
        coord = x[part] if span_x >= span_y else y[part]
        o = np.argsort(coord, kind="stable")
        cw = np.cumsum(w[part][o])
        frac = rng.uniform(0.35, 0.65)
        cut = int(np.searchsorted(cw, frac * cw[-1]))
        cut = min(max(cut, 1), len(part) - 1)
        stack.append(part[o[:cut]])
        stack.append(part[o[cut:]])
    return out


# --------------------------------------------------------------------------------------------
# the whole call
# --------------------------------------------------------------------------------------------


def pin_conflicts(cp: Compiled, pr: Pairs) -> tuple[list[int], list[tuple[int, int]]]:
    """Pins that cannot hold on their own or against each other; returns (pin pairs, bad pins)."""
    bad: set[tuple[int, int]] = set()
    ok_pairs = []
    by_v: dict[int, list[int]] = {}
    by_s: dict[int, list[int]] = {}
    for v, s in cp.pins:
        p = pr.find(v, s)
        if p is None:  # no skill, forbidden, longer than their hours, or the shift can never be staffed
            bad.add((v, s))
            continue
        ok_pairs.append(p)
        by_v.setdefault(v, []).append(s)
        by_s.setdefault(s, []).append(p)
    for v, ss in by_v.items():
        for i in range(len(ss)):
            for j in range(i + 1, len(ss)):
                if cp.conflict(ss[i], ss[j]):
                    bad.add((v, ss[i]))
                    bad.add((v, ss[j]))
        if cp.vmax[v] >= 0 and sum(int(cp.sdur[s]) for s in ss) > cp.vmax[v]:
            bad.update((v, s) for s in ss)
    scratch = State(cp, pr)
    for s, ps_ in by_s.items():
        if not all(scratch.place(p, check=False) for p in ps_):
            bad.update((int(pr.pv[p]), s) for p in ps_)
    return ok_pairs, sorted(bad)


def solve(problem, *, time_limit: float, workers: int, seed: int, progress, previous, t0: float):
    """The whole call: candidates, pins, greedy start, then each connected component searched in turn."""
    deadline = t0 + time_limit
    phase = {}
    t_build = time.monotonic()
    clock = Clock()
    cp = Compiled(problem)
    pr = build_pairs(cp)
    stats = _base_stats(cp, pr, seed=seed, workers=workers, time_limit=time_limit)
    if PRUNE_DOMINATED:
        drop = dominated_pairs(cp, pr, _protected_pairs(cp, pr, previous))
        if drop.any():
            pr = subset_pairs(cp, pr, ~drop)
            stats["dominated_pairs"] = int(drop.sum())
    phase["candidates"] = round(time.monotonic() - t0, 3)

    pin_pairs, bad_pins = pin_conflicts(cp, pr)
    if bad_pins:
        return infeasible_result(cp, bad_pins, stats, t0)
    pinned = np.zeros(pr.P, dtype=bool)
    pinned[pin_pairs] = True
    bonus, big = _repair_bonus(cp, pr, previous)

    state = State(cp, pr)
    comps = components(cp, pr)
    with_pairs = np.nonzero(pr.ptr_s[1:] > pr.ptr_s[:-1])[0]
    # on a large problem under heavy load the greedy alone can reach the limit: it stops with a fifth
    # of the limit left for explaining and assembling (measured 5.8–7 s on the district tiers there)
    greedy(state, with_pairs, pinned, bonus, deadline=deadline - 0.2 * time_limit)
    stats["greedy_objective"] = state.objective()
    phase["greedy"] = round(time.monotonic() - t0, 3)

    search = _ComponentSearch(
        state, comps, pinned=pinned, bonus=bonus, big=big, workers=workers, seed=seed,
        report=_Reporter(progress, t0), clock=clock,
    )
    stats["components"] = len(comps)
    stats["largest_component_pairs"] = max(search.sizes) if search.sizes else 0
    search.build_seconds = time.monotonic() - t_build
    search.report(sum(search.cobj), sum(search.cbound))
    # time kept for explaining and assembling the result: it scales like building the pairs and the
    # greedy did on this machine under its current load, plus the model build and stop latency of
    # the last CP-SAT call (measured under a load average of 15–20: explaining took 0.1–0.2× of the
    # build on the district tiers, 5.8–7 s after 39–61 s; 0.5× leaves a margin)
    reserve = min(0.3 * time_limit, 0.2 + 0.5 * (time.monotonic() - t_build))
    search.run(solve_deadline=deadline - reserve, phase=phase, t0=t0)
    phase["search"] = round(time.monotonic() - t0, 3)
    if search.conflicting:
        return infeasible_result(cp, sorted(set(search.conflicting)), stats, t0)

    if search.lns_rounds:
        stats["lns_rounds"] = search.lns_rounds
    if search.lns_share is not None:
        stats["lns_share_before_whole"], stats["core_share"], stats["other_cores_busy"] = search.lns_share
    if search.solution_from is not None:
        stats["whole_model_solution_from"] = search.solution_from
    if search.flow_starts:
        stats["flow_starts"] = search.flow_starts
        stats["flow_start_objective"] = search.flow_start_objective
    status, objective, bound, state = search.outcome()
    return build_result(
        cp,
        pr,
        state,
        pinned=pinned,
        bonus=bonus,
        status=status,
        objective=objective,
        bound=bound,
        stats=stats,
        phase=phase,
        t0=t0,
        previous=previous,
        # listing the assignments after the last explained shift takes a few seconds on the largest
        # problems under heavy load (measured ≈ 3 s at 923 k pairs): explaining stops before that
        deadline=deadline - 0.05 * time_limit,
    )


def _protected_pairs(cp: Compiled, pr: Pairs, previous) -> np.ndarray:
    """Pairs that pruning must keep: pins, and approved pairs in repair mode."""
    out = np.zeros(pr.P, dtype=bool)
    wanted = list(cp.pins)
    if previous is not None:
        wanted += [(cp.vindex[v], cp.sindex[s]) for v, s in previous if v in cp.vindex and s in cp.sindex]
    for v, s in wanted:
        p = pr.find(v, s)
        if p is not None:
            out[p] = True
    return out


def _base_stats(cp: Compiled, pr: Pairs, *, seed: int, workers: int, time_limit: float) -> dict:
    stats = {
        "volunteers": cp.V,
        "shifts": cp.S,
        "candidate_pairs": int(pr.P),
        "seed": seed,
        "workers": workers,
        "time_limit": time_limit,
    }
    impossible = [cp.sid[s] for s, why in pr.dropped.items() if why == "min_exceeds_places"]
    if impossible:
        stats["min_exceeds_places"] = impossible
    return stats


def _repair_bonus(cp: Compiled, pr: Pairs, previous) -> tuple[np.ndarray, int]:
    """Repair mode: every approved pair still possible earns more than any score could (``big``)."""
    bonus = np.zeros(pr.P, dtype=np.int64)
    big = 0
    if previous is not None:
        big = int(np.abs(pr.score).max()) + 1 if pr.P else 1
        for v, s in previous:
            if v in cp.vindex and s in cp.sindex:
                p = pr.find(cp.vindex[v], cp.sindex[s])
                if p is not None:
                    bonus[p] = big
    return bonus, big


class _Reporter:
    """Calls ``progress(objective, bound, seconds)`` whenever the total objective improves."""

    def __init__(self, progress, t0: float):
        self.progress, self.t0, self.last = progress, t0, None

    def __call__(self, total_obj, total_bound) -> None:
        if self.progress is None:
            return
        if self.last is None or total_obj > self.last:
            self.last = total_obj
            seconds = round(time.monotonic() - self.t0, 3)
            self.progress(int(total_obj), int(max(total_bound, total_obj)), seconds)


class _ComponentSearch:
    """The search over the connected components of the candidate graph, smallest first, each with a
    share of the time left: small ones (or ones whose start breaks a rule) as one CP-SAT model, large
    ones by LNS over blocks with a flow bound. Keeps each component's value, bound and status."""

    def __init__(self, state: State, comps, *, pinned, bonus, big: int, workers: int, seed: int, report,
                 clock: Clock | None = None):
        cp, pr = state.cp, state.pairs
        self.state, self.cp, self.pr = state, cp, pr
        self.comps = comps
        self.pinned, self.bonus, self.big = pinned, bonus, big
        self.workers, self.seed = workers, seed
        self.report = report
        self.cidx = [pair_indices(pr, sh) for sh in comps]
        self.sizes = [len(i) for i in self.cidx]
        self.tbound = [trivial_bound(cp, pr, sh) for sh in comps]
        self.cobj = [int(pr.score[i][state.x[i]].sum()) for i in self.cidx]
        self.cbound = list(self.tbound)
        self.cstatus = ["FEASIBLE"] * len(comps)
        self.conflicting: list[tuple[int, int]] = []
        self.lns_rounds = 0
        self.flow_starts = 0  # components whose flow start beat the greedy one
        self.flow_start_objective: int | None = None  # the objective when a flow start was last taken
        self.build_seconds = 0.0  # seconds the pairs and the greedy start took (set by the caller)
        self.clock = clock or Clock()  # started where the solve starts
        self.solution_from: str | None = None  # after a whole model with its MIP twin, whose solution was kept
        self.lns_share: tuple | None = None  # (LNS's share before the whole model, core share, others' cores)
        self.shared = False  # the machine read as shared (lns_share_before_whole)

    def lns_share_before_whole(self) -> float:
        """Of a mid-size component's time, LNS's share before the whole model (see the settings)."""
        seen, others = self.clock.core_share(), self.clock.others_cores()
        self.shared = shared = seen < SHARED_BELOW or others > OTHERS_SHARED
        share = LNS_SHARE_WHEN_SHARED if shared else LNS_SHARE_BEFORE_WHOLE
        self.lns_share = (share, round(seen, 2), round(others, 2))
        return share

    def feasible(self, c: int, state: State | None = None) -> bool:
        """The component's solution in ``state`` (the current one by default) keeps min staffing and
        every pin."""
        sh, idx = self.comps[c], self.cidx[c]
        state = self.state if state is None else state
        cnt = state.count[sh]
        if np.any((cnt > 0) & (cnt < self.cp.sminv[sh])):
            return False
        return bool(np.all(state.x[idx][self.pinned[idx]]))

    def value(self, c: int) -> int:
        idx = self.cidx[c]
        return int(self.pr.score[idx][self.state.x[idx]].sum())

    def value_with_bonus(self, c: int, state: State | None = None) -> int:
        """The component's value in ``state`` (the current one by default) with the repair bonus."""
        idx = self.cidx[c]
        state = self.state if state is None else state
        return int((self.pr.score[idx] + self.bonus[idx])[state.x[idx]].sum())

    def kept_bonus(self, c: int) -> int:
        idx = self.cidx[c]
        return int(self.bonus[idx][self.state.x[idx]].sum())

    def run(self, *, solve_deadline: float, phase: dict, t0: float) -> None:
        self.rng = random.Random(self.seed)
        order = sorted(range(len(self.comps)), key=lambda c: self.sizes[c])
        remaining = float(sum(self.sizes))
        self.points = stab_points(self.cp) if self.cp.S else np.zeros(0, dtype=np.int64)
        for c in order:
            size = self.sizes[c]
            left = solve_deadline - time.monotonic()
            share = max(left, 0.0) * size / max(remaining, 1.0)
            remaining -= size
            feasible = self.feasible(c)
            has_bonus = bool(self.bonus[self.cidx[c]].any())
            if GREEDY_SHORTCUT and feasible and not has_bonus and self.cobj[c] >= self.tbound[c]:
                self.cstatus[c] = "OPTIMAL"
                continue
            if left <= 0.02 and feasible:
                continue
            if size <= WHOLE_MODEL_PAIRS or not feasible:
                self.solve_whole(c, share, left, feasible=feasible, has_bonus=has_bonus, end=solve_deadline)
            else:
                self.solve_by_blocks(c, share, has_bonus=has_bonus, end=solve_deadline, phase=phase, t0=t0)

    def _others(self, c: int) -> tuple[int, int]:
        return sum(self.cobj) - self.cobj[c], sum(self.cbound) - self.cbound[c]

    def solve_whole(self, c: int, share: float, left: float, *, feasible: bool, has_bonus: bool, end: float):
        """One CP-SAT model for the whole component."""
        others_obj, others_bound = self._others(c)
        size = self.sizes[c]
        lim = min(max(share, 0.5 + size * 2e-5), max(left, 0.05))  # small ones finish early anyway

        def on_sol(obj, bnd):
            self.report(others_obj + obj, others_bound + min(self.cbound[c], bnd))

        res = solve_block(
            self.state,
            self.comps[c],
            pinned=self.pinned,
            bonus=self.bonus,
            time_limit=lim,
            workers=self.workers,
            seed=self.seed,
            on_solution=on_sol,
            kept_weight=self.big,
            deadline=end,
        )
        if res.status in ("OPTIMAL", "FEASIBLE"):
            self._adopt_whole(c, res, feasible=feasible, has_bonus=has_bonus)
        elif res.status == "INFEASIBLE":
            self.cstatus[c] = "INFEASIBLE"
            self._name_conflicting_pins(c, end)
        else:
            self.cstatus[c] = "FEASIBLE" if feasible else "UNKNOWN"

    def _adopt_whole(self, c: int, res: SubResult, *, feasible: bool, has_bonus: bool) -> None:
        """Take the model's solution unless it is worse than the start; update value, bound, status."""
        before = self.value_with_bonus(c)
        took = res.objective >= before or not feasible  # an infeasible start is no benchmark
        if took:
            self.state.set_block(self.comps[c], res.chosen)
        self.cobj[c] = self.value(c)
        self.cbound[c] = max(self.cobj[c], min(self.tbound[c], res.bound - self.kept_bonus(c)))
        self.cstatus[c] = "OPTIMAL" if res.status == "OPTIMAL" and took else "FEASIBLE"
        if self.cstatus[c] == "OPTIMAL":
            self.cbound[c] = self.cobj[c] if not has_bonus else self.cbound[c]
        elif self.cbound[c] > self.cobj[c]:
            fb = flow_bound(self.cp, self.pr, self.cidx[c], self.points)
            if fb is not None:
                self.cbound[c] = max(self.cobj[c], min(self.cbound[c], fb))

    def _name_conflicting_pins(self, c: int, end: float) -> None:
        """The component cannot keep its pins: find a small set of pins that cannot hold together."""
        diag = solve_block(
            self.state,
            self.comps[c],
            pinned=self.pinned,
            bonus=self.bonus,
            time_limit=max(0.5, end - time.monotonic()),
            workers=1,
            seed=self.seed,
            use_hint=False,
            pin_assumptions=True,
            deadline=end,
        )
        pr = self.pr
        core = diag.core or [p for p in self.cidx[c].tolist() if self.pinned[p]]
        self.conflicting.extend((int(pr.pv[p]), int(pr.ps[p])) for p in core)

    def solve_by_blocks(self, c: int, share: float, *, has_bonus: bool, end: float, phase: dict, t0: float):
        """A large component: flow bound, LNS over blocks, then (mid-size) the whole model for a bound."""
        others_obj, others_bound = self._others(c)
        size = self.sizes[c]
        share_end = min(time.monotonic() + max(0.0, share), end)
        # Lagrangian prices on the hour limits help a little on mid-size components; on the largest
        # a single flow already costs seconds, so they get the plain flow bound. One flow takes about
        # as long as building the pairs and the greedy did for as many pairs (measured under a load
        # average of 20: 35 s for 923 k pairs after a 35 s build); it cannot be stopped, so it is left
        # out when it would not end in time (the bound is then the trivial one)
        estimate = self.build_seconds * size / max(self.pr.P, 1)
        fb = None
        flow_pairs: list[int] = []
        if end - time.monotonic() > estimate:
            fb = self._flow_bound(c, share_end, size, flow_pairs)
        if flow_pairs:
            self._flow_start(c, flow_pairs)
        if fb is not None:
            self.cbound[c] = max(self.cobj[c], min(self.cbound[c], fb))
        phase[f"flow_bound_c{c}"] = round(time.monotonic() - t0, 3)
        self._blocks_then_whole(c, share_end, has_bonus=has_bonus, end=end, others=(others_obj, others_bound))

    def _flow_bound(self, c: int, share_end: float, size: int, chosen: list):
        def flow(**kw):
            return flow_bound(self.cp, self.pr, self.cidx[c], self.points, primal=self.cobj[c], **kw)

        if size <= FINISH_WHOLE_PAIRS:
            deadline = time.monotonic() + 0.06 * max(share_end - time.monotonic(), 0.0)
            return flow(deadline=deadline, max_iter=30, chosen=chosen)
        prices = self._hour_prices(c, share_end)
        t = time.monotonic()
        priced = flow(max_iter=1, chosen=chosen, prices=prices, schedules=False)
        if priced is None or share_end - time.monotonic() < 4 * (time.monotonic() - t):
            return priced
        # the prices that make a good start make a weaker bound than none (tight district, seed 0:
        # the flow 64.00 M against 63.83 M at λ = 0; the schedule bound at the two flows' slot prices
        # 63.83 M against 63.67 M with PRICE_SHARE 0.1): the flow again at λ = 0, for the schedule
        # bound, where time allows (the flow and the schedules take about twice the flow alone)
        plain = flow(max_iter=1)
        return priced if plain is None else min(priced, plain)

    def _hour_prices(self, c: int, share_end: float) -> dict:
        """Prices on the volunteers' hours for a large component's one flow, found by subgradient steps
        on a smaller flow: each shift's best candidates only (``_top_pairs`` with PRICE_TOP_K), for
        PRICE_SHARE of the component's time. The small flow bounds nothing; its prices make the large
        flow's pairs keep the hour limits, so that the flow start holds (see PRICE_SHARE)."""
        idx = self.cidx[c]
        small = _top_pairs(self.state, idx, PRICE_TOP_K, self.pinned, self.bonus)
        prices: dict = {}
        flow_bound(
            self.cp,
            self.pr,
            small,
            self.points,
            primal=self.cobj[c],  # the steps' target: the start's value (a smaller one overshoots)
            deadline=time.monotonic() + PRICE_SHARE * max(share_end - time.monotonic(), 0.0),
            max_iter=PRICE_ITERATIONS,
            prices=prices,
            schedules=False,
        )
        return prices

    def _flow_start(self, c: int, flow_pairs: list[int]) -> None:
        """A second start from the flow relaxation (a Lagrangian heuristic): pins and kept pairs, then
        the flow's pairs that still fit (best profit first), then the greedy fills what is left and
        empties under-staffed shifts. Taken when it beats the greedy start (tight supply, where the
        greedy spends scarce volunteers on the first shifts it meets)."""
        trial = State(self.cp, self.pr)
        idx = self.cidx[c]
        for p in idx[self.pinned[idx] | (self.bonus[idx] > 0)].tolist():
            trial.place(p)
        for p in flow_pairs:
            trial.place(p)
        greedy(trial, self.comps[c], self.pinned, self.bonus)
        if self.value_with_bonus(c, trial) <= self.value_with_bonus(c) or not self.feasible(c, trial):
            return
        self.state.set_block(self.comps[c], {int(p): int(trial.g[p]) for p in idx[trial.x[idx]].tolist()})
        self.cobj[c] = self.value(c)
        self.flow_starts += 1
        self.flow_start_objective = self.state.objective()

    def _blocks_then_whole(self, c: int, share_end: float, *, has_bonus: bool, end: float, others) -> None:
        others_obj, others_bound = others
        size = self.sizes[c]
        # mid-size components: LNS first, then the whole model (hinted) for a proven bound
        finish = size <= FINISH_WHOLE_PAIRS
        lns_end = share_end
        if finish:
            lns_end = time.monotonic() + self.lns_share_before_whole() * max(0.0, share_end - time.monotonic())
        self.lns_rounds += _lns(
            self.state,
            self.comps[c],
            lns_end,
            pinned=self.pinned,
            bonus=self.bonus,
            workers=self.workers,
            seed=self.seed,
            rng=self.rng,
            on_gain=lambda obj_c: self.report(others_obj + obj_c, others_bound + self.cbound[c]),
            kept_weight=self.big,
            top_k=BLOCK_TOP_K,
        )
        self.cobj[c] = self.value(c)
        self.cstatus[c] = "FEASIBLE"
        if finish and share_end - time.monotonic() > 1.0:
            self._finish_whole(c, share_end, has_bonus=has_bonus, end=end)
        self.cbound[c] = max(self.cbound[c], self.cobj[c])
        if self.cobj[c] >= self.cbound[c] and not has_bonus:
            self.cstatus[c] = "OPTIMAL"

    def _finish_whole(self, c: int, share_end: float, *, has_bonus: bool, end: float) -> None:
        """After LNS, the whole component's model (hinted with the LNS solution) for a proven bound."""
        before = self.value_with_bonus(c)
        res = solve_block(
            self.state,
            self.comps[c],
            pinned=self.pinned,
            bonus=self.bonus,
            time_limit=share_end - time.monotonic(),
            workers=self.workers,
            seed=self.seed,
            kept_weight=self.big,
            deadline=end,
            twin=FINISH_WITH_TWIN,
            twin_takes_all=TWIN_TAKES_ALL_WHEN_QUIET and not self.shared,
        )
        self.solution_from = res.solution_from
        if res.status not in ("OPTIMAL", "FEASIBLE"):
            return
        if res.objective > before:
            self.state.set_block(self.comps[c], res.chosen)
        self.cobj[c] = self.value(c)
        self.cbound[c] = min(self.cbound[c], res.bound - self.kept_bonus(c))
        if res.status == "OPTIMAL" and res.objective >= before and not has_bonus:
            self.cstatus[c] = "OPTIMAL"
            self.cbound[c] = self.cobj[c]

    def outcome(self) -> tuple[str, int, int, State]:
        """Overall status, objective, bound and the solution to report."""
        state = self.state
        objective = state.objective()
        bound = max(objective, int(sum(self.cbound)))
        if not self.comps or all(s_ == "OPTIMAL" for s_ in self.cstatus):
            status = "OPTIMAL"
            if not has_any(self.bonus):
                bound = objective
        elif any(s_ == "UNKNOWN" for s_ in self.cstatus):
            # no solution that keeps every rule (pins and staffing) was found in time: assign nobody
            status = "UNKNOWN"
            state = State(self.cp, self.pr)
            objective = 0
        else:
            status = "FEASIBLE"
        return status, objective, bound, state


def build_result(
    cp: Compiled,
    pr: Pairs,
    state: State,
    *,
    pinned,
    bonus,
    status: str,
    objective: int,
    bound: int,
    stats: dict,
    phase: dict,
    t0: float,
    previous=None,
    deadline: float | None = None,
):
    """The ShiftResult of a solution: concrete slot indices, reasons, unfilled slots, statistics."""
    listing = _Listing(cp, pr, state, pinned=pinned, bonus=bonus, deadline=deadline)
    for s in range(cp.S):
        listing.add_shift(s)
    phase["explain"] = round(time.monotonic() - t0, 3)
    if listing.skipped:
        stats["unexplained_shifts"] = listing.skipped
    _coverage_stats(cp, state, stats)
    if previous is not None:
        _repair_stats(cp, pr, state, previous, stats)
    stats["phase_seconds"] = phase
    seconds = time.monotonic() - t0
    return ShiftResult(
        status=status,
        objective=int(objective),
        bound=int(bound),
        seconds=seconds,
        assignments=tuple(listing.assignments),
        unfilled=tuple(listing.unfilled),
        unstaffed=tuple(listing.unstaffed),
        stats=stats,
        conflicting_pins=(),
    )


class _Listing:
    """The result's lists, shift by shift: assignments with concrete slot indices and reasons, slots
    left (partly) empty with the reasons why, shifts nobody staffs."""

    def __init__(self, cp: Compiled, pr: Pairs, state: State, *, pinned, bonus, deadline: float | None):
        self.cp, self.pr, self.state = cp, pr, state
        self.pinned, self.bonus, self.deadline = pinned, bonus, deadline
        self.explainer = Explainer(cp, pr, state)
        self.assignments: list = []
        self.unfilled: list = []
        self.unstaffed: list = []
        self.skipped = 0

    def add_shift(self, s: int) -> None:
        cp, state = self.cp, self.state
        shift = cp.problem.shifts[s]
        if cp.scap[s] > 0 and state.count[s] == 0:
            self.unstaffed.append(cp.sid[s])
        open_reasons = None
        for g, (skill, _, slot_idx) in enumerate(cp.groups[s]):
            caps = [int(shift.slots[k].count) for k in slot_idx]
            fill = self._place_group(s, g, skill, slot_idx, caps)
            if not any(f < c_ for f, c_ in zip(fill, caps)):
                continue
            if open_reasons is None:
                open_reasons = self._open_reasons(s)
            for k, slot in enumerate(slot_idx):
                if fill[k] < caps[k]:
                    missing = caps[k] - fill[k]
                    self.unfilled.append(UnfilledSlot(cp.sid[s], slot, missing, open_reasons.get(g, ())))

    def _place_group(self, s: int, g: int, skill, slot_idx: list[int], caps: list[int]) -> list[int]:
        """The group's members into its slots in order (pairs of a shift are ordered by volunteer)."""
        cp, pr = self.cp, self.pr
        fill = [0] * len(slot_idx)
        k = 0
        for p in sorted(self.state.by_group[s][g]):
            while fill[k] >= caps[k]:
                k += 1
            fill[k] += 1
            reasons = assignment_reasons(
                cp, pr, p, skill, pinned=bool(self.pinned[p]), kept=bool(self.bonus[p] > 0)
            )
            self.assignments.append(ShiftAssignment(cp.vid[pr.pv[p]], cp.sid[s], slot_idx[k], reasons))
        return fill

    def _open_reasons(self, s: int) -> dict:
        if self.deadline is not None and time.monotonic() > self.deadline:
            self.skipped += 1
            return {}  # out of time: the slots are listed, unexplained
        return self.explainer.shift_reasons(s)


def _coverage_stats(cp: Compiled, state: State, stats: dict) -> None:
    """Filled places against all places, per urgency (most urgent first) and in total."""
    cov: dict[str, list[int]] = {}
    for s in range(cp.S):
        key = str(int(cp.surg[s]))
        cur = cov.setdefault(key, [0, 0])
        cur[0] += int(state.count[s])
        cur[1] += int(cp.scap[s])
    stats["coverage_by_urgency"] = {k: cov[k] for k in sorted(cov, reverse=True)}
    stats["places"] = int(cp.scap.sum()) if cp.S else 0
    stats["filled"] = int(state.count.sum()) if cp.S else 0


def _repair_stats(cp: Compiled, pr: Pairs, state: State, previous, stats: dict) -> None:
    """Repair mode: approved pairs kept and dropped, pairs added."""
    prev_set = set(previous)
    now_set = {(cp.vid[int(pr.pv[p])], cp.sid[int(pr.ps[p])]) for p in np.nonzero(state.x)[0].tolist()}
    kept = len(prev_set & now_set)
    stats["kept"] = kept
    stats["dropped"] = len(prev_set) - kept
    stats["added"] = len(now_set - prev_set)
    stats["changed"] = stats["dropped"] + stats["added"]


def has_any(a: np.ndarray) -> bool:
    return bool(len(a) and a.any())


def infeasible_result(cp, bad, stats, t0) -> ShiftResult:
    """The INFEASIBLE result naming the pins (volunteer, shift indices) that cannot all hold."""
    stats = dict(stats)
    stats["coverage_by_urgency"] = {}
    return ShiftResult(
        status="INFEASIBLE",
        objective=0,
        bound=0,
        seconds=time.monotonic() - t0,
        stats=stats,
        conflicting_pins=tuple((cp.vid[v], cp.sid[s]) for v, s in bad),
    )


def day_blocks(
    cp: Compiled,
    pr: Pairs,
    shifts: np.ndarray,
    target: int,
    rng: random.Random,
    *,
    span: int = 1,
    offset: int = 0,
) -> list[np.ndarray]:
    """Shifts grouped by local calendar day (overlap and rest conflicts live within a day) or by
    ``span`` consecutive days, each group cut by place into blocks of about ``target`` pairs."""
    day = np.array(
        [(_EPOCH_LOCAL(cp, int(t)) + offset) // span for t in cp.sst[shifts].tolist()], dtype=np.int64
    )
    out = []
    for d in np.unique(day).tolist():
        out.extend(split_blocks(cp, pr, shifts[day == d], target, rng))
    return out


def _EPOCH_LOCAL(cp: Compiled, t_us: int) -> int:
    dt = (EPOCH + timedelta(microseconds=t_us)).astimezone(cp.zone)
    return dt.toordinal()


def _lns(
    state: State,
    shifts: np.ndarray,
    end: float,
    *,
    pinned,
    bonus,
    workers,
    seed,
    rng,
    on_gain,
    kept_weight,
    target: int | None = None,
    top_k: int | None = None,
    kinds: str = "dadw",
) -> int:
    """Large neighbourhood search: re-solve blocks of shifts exactly with the rest fixed.

    Rounds cycle through ``kinds``: d = one day cut by place, a = one area over all days, w = two
    consecutive days cut by place; cut positions move between rounds. Within a round the blocks
    with the largest gap between their trivial bound and their current value go first. When two
    rounds bring nothing the blocks double (up to 4×). Never makes the solution worse.
    """
    cp, pr = state.cp, state.pairs
    idx_all = pair_indices(pr, shifts)
    target = target or BLOCK_PAIRS
    limit_target = 4 * target
    build_per_pair = 0.0  # seconds to build a block's model, per candidate pair (largest seen)
    rounds = 0
    stale = 0
    while end - time.monotonic() > 0.1:
        blocks = _neighbourhoods(cp, pr, shifts, kinds[rounds % len(kinds)], target, rng)
        improved = False
        for b, bi, lim in _block_schedule(state, blocks, end, bonus, lambda: build_per_pair):
            before = int((pr.score[bi] + bonus[bi])[state.x[bi]].sum())
            res = solve_block(
                state,
                b,
                pinned=pinned,
                bonus=bonus,
                time_limit=lim,
                workers=workers,
                seed=seed + rounds,
                kept_weight=kept_weight,
                deadline=end,
                top_k=top_k,
            )
            build_per_pair = max(build_per_pair, res.build_seconds / max(len(bi), 1))
            if res.objective is not None and res.objective > before:
                state.set_block(b, res.chosen)
                improved = True
                on_gain(int(pr.score[idx_all][state.x[idx_all]].sum()))
        rounds += 1
        stale = 0 if improved else stale + 1
        if stale >= 2:
            if target >= limit_target:
                break
            target *= 2  # a local optimum for these neighbourhoods: look wider
            stale = 0
    return rounds


def _neighbourhoods(cp: Compiled, pr: Pairs, shifts: np.ndarray, kind: str, target: int, rng) -> list:
    """One round's blocks: d = one day cut by place, w = two consecutive days, a = an area."""
    if kind == "d":
        return day_blocks(cp, pr, shifts, target, rng)
    if kind == "w":  # two consecutive days: moves hours between days
        return day_blocks(cp, pr, shifts, target, rng, span=2, offset=rng.randrange(2))
    return split_blocks(cp, pr, shifts, target, rng)


def _block_schedule(state: State, blocks: list, end: float, bonus, build_per_pair):
    """Yields (block, its pairs, time limit): largest gap to its trivial bound first, each with a share
    of the time left by its size; stops when building the next model alone would overrun ``end``.
    ``build_per_pair()`` is the latest estimate of model building seconds per pair."""
    cp, pr = state.cp, state.pairs
    info = []
    for b in blocks:
        bi = pair_indices(pr, b)
        cur = int(pr.score[bi][state.x[bi]].sum())
        info.append((trivial_bound(cp, pr, b) - cur, len(bi), b, bi))
    info.sort(key=lambda t: -t[0])
    todo = float(sum(t[1] for t in info))
    for gap, n, b, bi in info:
        left = end - time.monotonic()
        if left < 0.05 + 1.5 * build_per_pair() * n:  # building the model alone would overrun
            return
        lim = min(left, max(0.3, 2.0 * left * n / max(todo, 1.0)))
        todo -= n
        if gap <= 0 and not bonus[bi].any():
            continue
        yield b, bi, lim
