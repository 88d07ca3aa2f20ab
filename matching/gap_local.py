"""Fast local search for generalized assignment (minimization), vectorized with numpy.

Moves between feasible assignments only: *shift* (a job to another agent with room), *swap* (two
jobs of different agents trade places) and the two-step *ejection chain* of Yagiura, Ibaraki and
Glover (2004) — a job moves into agent b, and one of b's jobs moves on to a third agent with room.
Every move of all three kinds is evaluated at once as a matrix; the improving ones that touch
disjoint agents are applied together (their gains and feasibility stay exact), then all are
evaluated again.
"""

from __future__ import annotations

import time

import numpy as np

# Job pairs evaluated at once by the swap and chain matrices (memory: a few arrays of this size).
BLOCK_CELLS = 2_000_000
# Agents on each job's candidate list (its cheapest) for swaps and chains.
NEAR = 10


def _loads(resource: np.ndarray, a: np.ndarray, m: int) -> np.ndarray:
    cols = np.arange(a.size)
    return np.bincount(a, weights=resource[a, cols], minlength=m).astype(np.int64)


def _best_out(cost, resource, a, cur, free):
    """Per job, the cheapest move to another agent with room: (gain, target agent)."""
    m, n = cost.shape
    delta = np.where(resource <= free[:, None], cost - cur[None, :], np.inf)
    delta[a, np.arange(n)] = np.inf
    target = delta.argmin(axis=0)
    return delta[target, np.arange(n)], target


def _job_table(a: np.ndarray, m: int) -> np.ndarray:
    """(m, L) jobs of each agent, padded with n (a dummy job)."""
    n = a.size
    order = np.argsort(a, kind="stable")
    counts = np.bincount(a, minlength=m)
    first = np.concatenate(([0], np.cumsum(counts)[:-1]))
    table = np.full((m, max(1, int(counts.max()))), n, dtype=np.int64)
    table[a[order], np.arange(n) - first[a[order]]] = order
    return table


def _candidates(cost, resource, capacity, a, near, limit: int):
    """Improving moves, best first: list of (gain, kind, j, k, agent) with kind 0 shift, 1 swap, 2 chain.

    Per job its best shift, and for every agent b of its candidate list ``near`` (its cheapest agents)
    its best swap with, and its best chain through, one of b's jobs."""
    m, n = cost.shape
    cols = np.arange(n)
    cur = cost[a, cols]
    rcur = resource[a, cols]
    load = _loads(resource, a, m)
    free = capacity - load
    found = []  # arrays (gain, kind, j, k, agent)
    # shifts: job j to agent i
    shift = np.where(resource <= free[:, None], cost - cur[None, :], np.inf)
    to = shift.argmin(axis=0)
    found.append((shift[to, cols], np.zeros(n, dtype=np.int64), cols, np.full(n, -1), to))
    out_gain, out_to = _best_out(cost, resource, a, cur, free)
    # pairs (job j, agent b ≠ a_j) from the candidate lists; partners: b's jobs (padded with job n)
    b = near.ravel()
    j = np.tile(cols, near.shape[0])
    keep = b != a[j]
    b, j = b[keep], j[keep]
    table = _job_table(a, m)
    k = table[b]  # (P, L)
    pad = np.append  # jobs' values with the dummy job n appended
    rcur_k = pad(rcur, np.iinfo(np.int64).max // 4)[k]
    into = cost[b, j] - cur[j]  # j into b
    fits_j = rcur_k >= (resource[b, j] - free[b])[:, None]  # ... as k leaves b
    chain = np.where(fits_j, into[:, None] + pad(out_gain, np.inf)[k], np.inf)
    best = chain.argmin(axis=1)
    rows = np.arange(b.size)
    kk = k[rows, best]
    found.append((chain[rows, best], np.full(b.size, 2), j, kk, pad(out_to, -1)[kk]))
    aj = a[j]
    k_safe = np.minimum(k, n - 1)
    fits_k = (resource[aj[:, None], k_safe] - rcur[j][:, None]) <= free[aj][:, None]  # k into a_j as j leaves
    swap = np.where(
        fits_j & fits_k & (k < n), into[:, None] + cost[aj[:, None], k_safe] - pad(cur, 0.0)[k], np.inf
    )
    best = swap.argmin(axis=1)
    found.append((swap[rows, best], np.ones(b.size, dtype=np.int64), j, k[rows, best], np.full(b.size, -1)))
    gain, kind, jj, kk, agent = (np.concatenate(parts) for parts in zip(*found))
    good = np.nonzero(gain < -1e-9)[0]
    good = good[np.argsort(gain[good], kind="stable")][:limit]
    moves = [(float(gain[g]), int(kind[g]), int(jj[g]), int(kk[g]), int(agent[g])) for g in good]
    return moves, load


def descend(
    cost: np.ndarray,
    resource: np.ndarray,
    capacity: np.ndarray,
    assignment,
    deadline: float,
    max_passes: int = 10_000,
    weight: np.ndarray | None = None,
    near: int = 0,
) -> tuple[list[int], int]:
    """Improve a feasible ``assignment`` by shift, swap and chain moves until none helps or the deadline.

    ``cost`` is minimized; pairs that never fit may carry any cost (they are never used, as each move
    is checked against the agents' room). Swaps and chains move a job only to the ``near`` (default
    ``NEAR``) agents cheapest for it by ``weight`` (default: the cost; the capacity relaxation's weights
    suit tight instances, where the cheap agents are the ones with the largest resource).
    Returns (assignment, number of moves applied).
    """
    cost = np.asarray(cost, dtype=float)
    resource = np.asarray(resource, dtype=np.int64)
    capacity = np.asarray(capacity, dtype=np.int64)
    m, n = cost.shape
    a = np.array(assignment, dtype=np.int64)
    rank = cost if weight is None else weight
    near = np.argsort(np.where(resource <= capacity[:, None], rank, np.inf), axis=0)[: min(m, near or NEAR)]
    applied = 0
    limit = max(8, 4 * m)
    for _ in range(max_passes):
        if time.monotonic() > deadline:
            break
        moves, load = _candidates(cost, resource, capacity, a, near, limit)
        if not moves:
            break
        touched = np.zeros(m, dtype=bool)
        done = 0
        for _, kind, j, k, i in moves:
            agents = [a[j], i] if kind == 0 else [a[j], a[k]] if kind == 1 else [a[j], a[k], i]
            if touched[agents].any():
                continue
            touched[agents] = True
            if kind == 0:
                load[a[j]] -= resource[a[j], j]
                load[i] += resource[i, j]
                a[j] = i
            elif kind == 1:
                x, y = a[j], a[k]
                load[x] += resource[x, k] - resource[x, j]
                load[y] += resource[y, j] - resource[y, k]
                a[j], a[k] = y, x
            else:
                x, y = a[j], a[k]
                load[x] -= resource[x, j]
                load[y] += resource[y, j] - resource[y, k]
                load[i] += resource[i, k]
                a[j], a[k] = y, i
            done += 1
        if not done:
            break
        applied += done
    return [int(i) for i in a], applied


def regret_repair(
    w: np.ndarray, resource: np.ndarray, capacity: np.ndarray, chosen: np.ndarray
) -> list[int] | None:
    """A feasible assignment from a relaxed one (``chosen``: agents × jobs, a job possibly taken by
    none or by several agents, agents possibly overloaded): each job keeps its cheapest chooser by
    ``w``; overloaded agents give up jobs, the least loss of ``w`` per unit of resource first; then the
    open jobs are placed by regret (largest difference between best and second-best agent with room).
    None if no job order found fits them all."""
    m, n = w.shape
    cols = np.arange(n)
    a = np.full(n, -1, dtype=np.int64)
    picked = np.where(chosen, w, np.inf)
    best = picked.argmin(axis=0)
    has = np.isfinite(picked[best, cols])
    a[has] = best[has]
    load = np.zeros(m, dtype=np.int64)
    np.add.at(load, a[has], resource[a[has], cols[has]])
    second = np.where(resource <= capacity[:, None], w, np.inf)
    for i in np.nonzero(load > capacity)[0]:
        jobs = np.nonzero(a == i)[0]
        others = second[:, jobs].copy()
        others[i] = np.inf
        loss = (others.min(axis=0) - w[i, jobs]) / np.maximum(resource[i, jobs], 1)
        for j in jobs[np.argsort(loss)]:
            if load[i] <= capacity[i]:
                break
            a[j] = -1
            load[i] -= resource[i, j]
    room = capacity - load
    # the open jobs by regret on w; if that packs badly, by regret on the jobs' share of capacity
    for measure in (w, resource / np.maximum(capacity, 1)[:, None]):
        placed = insert_by_regret(measure, resource, room.copy(), a.copy())
        if placed is not None:
            return placed
    return None


def insert_by_regret(w, resource, room, a) -> list[int] | None:
    """Place the jobs with a < 0 by regret (largest difference between the best and second-best agent
    with room by ``w``) at their best agent; None if one fits nowhere."""
    m = w.shape[0]
    open_jobs = a < 0
    while open_jobs.any():
        idx = np.nonzero(open_jobs)[0]
        cand = np.where(resource[:, idx] <= room[:, None], w[:, idx], np.inf)
        if m > 1:
            two = np.partition(cand, 1, axis=0)[:2]
        else:
            two = np.vstack([cand, np.full((1, idx.size), np.inf)])
        if not np.isfinite(two[0]).all():
            return None
        regret = np.where(np.isfinite(two[1]), two[1] - two[0], np.inf)
        pick = int(np.argmax(regret))
        j = int(idx[pick])
        i = int(np.argmin(cand[:, pick]))
        a[j] = i
        room[i] -= resource[i, j]
        open_jobs[j] = False
    return [int(i) for i in a]
