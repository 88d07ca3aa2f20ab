"""Reasons for each assignment and for each slot left (partly) empty.

An unfilled slot is explained by sorting the volunteers who hold the slot's skill, near the shift,
into the first rule that keeps them out: not free for the whole window, beyond their travel
limit, excluded by a coordinator, or — for those who could come — busy on another shift at that
time (overlap or rest), at their weekly hour limit, or simply still free (the run stopped early or
the shift could not reach its minimum staffing). Counts tell the coordinator what to change.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np

from .availability import available_mask
from .geo import haversine_many
from .reasons import Reason

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _day(dt: datetime) -> str:  # not strftime: %a/%b follow the process locale
    return f"{_DAYS[dt.weekday()]} {dt.day:02d} {_MONTHS[dt.month - 1]}"


def local_window(start_us: int, end_us: int, zone) -> str:
    """'Mon 07 Dec 09:00–11:00' in the settings' time zone (both days shown if they differ)."""
    a = (_EPOCH + timedelta(microseconds=int(start_us))).astimezone(zone)
    b = (_EPOCH + timedelta(microseconds=int(end_us))).astimezone(zone)
    same_day = a.date() == b.date() or (
        b.date() == a.date() + timedelta(days=1)
        and b.hour == 0
        and b.minute == 0
        and b - a <= timedelta(days=1)
    )
    if same_day:
        return f"{_day(a)} {a:%H:%M}–{b:%H:%M}"
    return f"{_day(a)} {a:%H:%M}–{_day(b)} {b:%H:%M}"


def iso_window(start_us: int, end_us: int, zone) -> tuple[str, str]:
    """The shift's start and end as ISO 8601 in the settings' time zone (for the app to format)."""
    a = (_EPOCH + timedelta(microseconds=int(start_us))).astimezone(zone)
    b = (_EPOCH + timedelta(microseconds=int(end_us))).astimezone(zone)
    return a.isoformat(), b.isoformat()


def assignment_reasons(cp, pr, p: int, slot_skill, *, pinned: bool, kept: bool) -> tuple:
    """Why this volunteer is on this shift: skill, distance, preference, continuity, urgency."""
    lists = getattr(pr, "_lists", None)
    if lists is None:  # plain lists: scalar reads from numpy arrays are slow in a loop
        lists = pr._lists = (
            pr.pv.tolist(),
            pr.ps.tolist(),
            pr.km.tolist(),
            pr.pref.tolist(),
            pr.cont.tolist(),
            cp.surg.tolist(),
        )
    pv, ps, km, pref, cont, urg = lists
    v, s = pv[p], ps[p]
    out = [Reason("has_skill", {"skill": slot_skill}) if slot_skill is not None else Reason("open_slot", {})]
    out.append(Reason("distance", {"km": round(km[p], 1)}))
    if pref[p]:
        out.append(Reason("preferred", {}))
    if cont[p]:
        common = sorted(set(cp.history[v]) & set(cp.residents[s]), key=str)
        out.append(Reason("continuity", {"resident": common[0] if common else None}))
    out.append(Reason("urgency", {"level": urg[s]}))
    if pinned:
        out.append(pin_reason(cp, v, s, km[p]))
    if kept:
        out.append(Reason("kept", {}))
    return tuple(out)


def pin_reason(cp, v: int, s: int, km: float) -> Reason:
    """A pin is a person's decision (a place taken by the volunteer, or a pairing fixed by staff):
    it holds even outside the volunteer's availability or beyond their travel limit, and says so."""
    free = bool(available_mask(cp, np.array([v], dtype=np.int64), int(cp.sst[s]), int(cp.sen[s]))[0])
    return Reason(
        "pinned",
        {"outside_availability": not free, "beyond_travel_limit": bool(km > cp.vlimit[v])},
    )


def _mask(cp, groups, v: int) -> int:
    m = 0
    for g, (sk, _, _) in enumerate(groups):
        if sk is None or cp.skill_has[sk][v]:
            m |= 1 << g
    return m


def _placeable(masks: list[int], counts: list[int]) -> int:
    """Largest number of these volunteers (slot-group masks) placed at once (augmenting paths)."""
    room = list(counts)
    members: list[list[int]] = [[] for _ in counts]

    def augment(mask: int, seen: set) -> int | None:
        for g in range(len(room)):
            if mask >> g & 1 and room[g] > 0 and g not in seen:
                return g
        for g in range(len(room)):
            if not mask >> g & 1 or g in seen:
                continue
            seen.add(g)
            for k, other in enumerate(members[g]):
                g2 = augment(other & ~(1 << g), seen)
                if g2 is not None:
                    members[g].pop(k)
                    members[g2].append(other)
                    room[g2] -= 1
                    room[g] += 1
                    return g
        return None

    placed = 0
    for mask in masks:
        g = augment(mask, set())
        if g is not None:
            members[g].append(mask)
            room[g] -= 1
            placed += 1
    return placed


class Explainer:
    """Classifies the volunteers around a shift once per shift; reasons per slot group."""

    def __init__(self, cp, pr, state):
        self.cp, self.pr, self.state = cp, pr, state
        self.index = pr.near_index
        # look for "too far" volunteers a little beyond the longest travel limit
        self.radius = self.index.radius + 1.0
        self._avail: dict = {}
        self._all = np.arange(cp.V)

    def _near(self, s: int) -> np.ndarray:
        cp, ix = self.cp, self.index
        spans = ix.spans(float(cp.slat[s]), float(cp.slon[s]), self.radius)
        parts = [ix.order[a:b] for a, b in spans]
        if len(ix.unlimited):
            parts.append(ix.unlimited)
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    def _available(self, s: int) -> np.ndarray:
        """Free for the whole shift, for every volunteer (cached per [start, end))."""
        key = (int(self.cp.sst[s]), int(self.cp.sen[s]))
        got = self._avail.get(key)
        if got is None:
            got = available_mask(self.cp, self._all, key[0], key[1])
            self._avail[key] = got
        return got

    def shift_reasons(self, s: int) -> dict[int, tuple]:
        """Reasons for every slot group of shift s that still has room: {group: (Reason, ...)}."""
        cp, st = self.cp, self.state
        groups = cp.groups[s]
        open_groups = [g for g in range(len(groups)) if st.room[s][g] > 0]
        if not open_groups:
            return {}
        if cp.V == 0:
            return {g: (Reason("no_volunteers", {}),) for g in open_groups}
        near = self._around(s)
        free_vols = [v for v, (k, _) in near.kind.items() if k == "free"]
        # how many of the free ones fit the slots at once (skills matter): what staffing could reach
        free_any = _placeable([_mask(cp, groups, v) for v in free_vols], [g[1] for g in groups])
        return {g: self._group_reasons(s, groups[g][0], near, free_any) for g in open_groups}

    def _around(self, s: int) -> "_Around":
        """The volunteers near shift s and not on it, sorted by what keeps them out."""
        cp, pr, st = self.cp, self.pr, self.state
        idx = self._near(s)
        here = {int(pr.pv[p]) for p in st.members(s)}
        if here and len(idx):
            idx = idx[~np.isin(idx, np.fromiter(here, dtype=np.int64))]
        near = _Around()
        near.idx = idx
        w_start, w_end = iso_window(cp.sst[s], cp.sen[s], cp.zone)
        near.when = {"window": local_window(cp.sst[s], cp.sen[s], cp.zone), "start": w_start, "end": w_end}
        near.km = haversine_many(cp.slat[s], cp.slon[s], cp.vlat[idx], cp.vlon[idx])
        near.reach = near.km <= cp.vlimit[idx]
        near.avail = self._available(s)[idx]
        fb = cp.forb_by_shift.get(s)
        near.forb = np.isin(idx, fb) if fb is not None else np.zeros(len(idx), dtype=bool)
        near.cand = near.reach & near.avail & ~near.forb
        near.kind = {v: self._kind(s, v) for v in idx[near.cand].tolist()}
        return near

    def _kind(self, s: int, v: int) -> tuple[str, bool]:
        """A volunteer who could come: busy (and whether on a more urgent shift), at their hour limit,
        or free."""
        cp, pr, st = self.cp, self.pr, self.state
        clash = [int(pr.ps[q]) for q in st.sched[v] if cp.conflict(s, int(pr.ps[q]))]
        if clash:
            return ("busy", any(cp.surg[t] > cp.surg[s] for t in clash))
        if cp.vmax[v] >= 0 and st.used[v] + cp.sdur[s] > cp.vmax[v]:
            return ("hours", False)
        return ("free", False)

    def _group_reasons(self, s: int, skill, near: "_Around", free_any: int) -> tuple:
        """Why the slots of this skill stay open, as counts of the volunteers holding it nearby."""
        cp, when = self.cp, near.when
        minv, places = int(cp.sminv[s]), int(cp.scap[s])
        idx = near.idx
        q = cp.skill_has[skill][idx] if skill is not None else np.ones(len(idx), dtype=bool)
        reasons = []
        if minv > places:
            reasons.append(Reason("min_exceeds_slots", {"needed": minv, "places": places}))
        far = q & near.avail & ~near.reach
        kinds = [near.kind[v] for v in idx[q & near.cand].tolist()]
        busy = [more for k, more in kinds if k == "busy"]
        n_hours = sum(1 for k, _ in kinds if k == "hours")
        n_free = sum(1 for k, _ in kinds if k == "free")
        if not kinds and not far.any():
            reasons.append(Reason("no_one_with_skill", {"skill": skill, **when}))
        if busy:
            params = {"count": len(busy), "more_urgent": sum(busy), "skill": skill, **when}
            reasons.append(Reason("busy_elsewhere", params))
        if n_hours:
            reasons.append(Reason("hour_limit", {"count": n_hours, "skill": skill}))
        if far.any():
            km = round(float(near.km[far].min()), 1)
            reasons.append(Reason("too_far", {"count": int(far.sum()), "skill": skill, "km": km}))
        n_unavail = int((q & near.reach & ~near.avail).sum())
        if n_unavail:
            reasons.append(Reason("unavailable", {"count": n_unavail, "skill": skill, **when}))
        n_forb = int((q & near.reach & near.avail & near.forb).sum())
        if n_forb:
            reasons.append(Reason("forbidden", {"count": n_forb, "skill": skill}))
        if minv > places:
            pass  # min_exceeds_slots says it all: nobody can be placed until the shift changes
        elif not self.state.count[s] > 0 and minv >= 2 and free_any < minv:
            reasons.append(Reason("min_staffing", {"needed": minv, "possible": free_any}))
        elif n_free:
            reasons.append(Reason("could_fill", {"count": n_free, "skill": skill}))
        return tuple(reasons)


class _Around:
    """The volunteers near a shift (``idx``) with, per volunteer: distance ``km``, within their travel
    limit (``reach``), free for the whole shift (``avail``), excluded (``forb``), could come (``cand``);
    for those who could come, what they are doing (``kind``); the shift's window (``when``)."""

    idx: np.ndarray
    km: np.ndarray
    reach: np.ndarray
    avail: np.ndarray
    forb: np.ndarray
    cand: np.ndarray
    kind: dict
    when: dict
