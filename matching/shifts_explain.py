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
        cp, pr, st = self.cp, self.pr, self.state
        groups = cp.groups[s]
        open_groups = [g for g in range(len(groups)) if st.room[s][g] > 0]
        if not open_groups:
            return {}
        window = local_window(cp.sst[s], cp.sen[s], cp.zone)
        w_start, w_end = iso_window(cp.sst[s], cp.sen[s], cp.zone)
        minv = int(cp.sminv[s])
        staffed = st.count[s] > 0
        if cp.V == 0:
            return {g: (Reason("no_volunteers", {}),) for g in open_groups}
        head = []
        if minv > int(cp.scap[s]):
            head.append(Reason("min_exceeds_slots", {"needed": minv, "places": int(cp.scap[s])}))
        idx = self._near(s)
        here = {int(pr.pv[p]) for p in st.members(s)}
        if here and len(idx):
            idx = idx[~np.isin(idx, np.fromiter(here, dtype=np.int64))]
        km = haversine_many(cp.slat[s], cp.slon[s], cp.vlat[idx], cp.vlon[idx])
        reach = km <= cp.vlimit[idx]
        avail = self._available(s)[idx]
        fb = cp.forb_by_shift.get(s)
        forb = np.isin(idx, fb) if fb is not None else np.zeros(len(idx), dtype=bool)
        cand_mask = reach & avail & ~forb
        # the volunteers who could come: busy, at their hour limit, or free
        kind: dict[int, tuple[str, bool]] = {}
        for v in idx[cand_mask].tolist():
            clash = [int(pr.ps[q]) for q in st.sched[v] if cp.conflict(s, int(pr.ps[q]))]
            if clash:
                kind[v] = ("busy", any(cp.surg[t] > cp.surg[s] for t in clash))
            elif cp.vmax[v] >= 0 and st.used[v] + cp.sdur[s] > cp.vmax[v]:
                kind[v] = ("hours", False)
            else:
                kind[v] = ("free", False)
        free_vols = [v for v, (k, _) in kind.items() if k == "free"]
        # how many of the free ones fit the slots at once (skills matter): what staffing could reach
        free_any = _placeable([_mask(cp, groups, v) for v in free_vols], [g[1] for g in groups])
        out = {}
        for g in open_groups:
            skill = groups[g][0]
            q = cp.skill_has[skill][idx] if skill is not None else np.ones(len(idx), dtype=bool)
            reasons = list(head)
            n_unavail = int((q & reach & ~avail).sum())
            far = q & avail & ~reach
            n_far = int(far.sum())
            n_forb = int((q & reach & avail & forb).sum())
            cvs = idx[q & cand_mask].tolist()
            busy = [kind[v] for v in cvs if kind[v][0] == "busy"]
            n_busy = len(busy)
            n_more = sum(1 for _, more in busy if more)
            n_hours = sum(1 for v in cvs if kind[v][0] == "hours")
            n_free = sum(1 for v in cvs if kind[v][0] == "free")
            if not cvs and not n_far:
                reasons.append(
                    Reason(
                        "no_one_with_skill",
                        {"skill": skill, "window": window, "start": w_start, "end": w_end},
                    )
                )
            if n_busy:
                reasons.append(
                    Reason(
                        "busy_elsewhere",
                        {
                            "count": n_busy,
                            "more_urgent": n_more,
                            "skill": skill,
                            "window": window,
                            "start": w_start,
                            "end": w_end,
                        },
                    )
                )
            if n_hours:
                reasons.append(Reason("hour_limit", {"count": n_hours, "skill": skill}))
            if n_far:
                reasons.append(
                    Reason("too_far", {"count": n_far, "skill": skill, "km": round(float(km[far].min()), 1)})
                )
            if n_unavail:
                reasons.append(
                    Reason(
                        "unavailable",
                        {
                            "count": n_unavail,
                            "skill": skill,
                            "window": window,
                            "start": w_start,
                            "end": w_end,
                        },
                    )
                )
            if n_forb:
                reasons.append(Reason("forbidden", {"count": n_forb, "skill": skill}))
            if minv > int(cp.scap[s]):
                pass  # min_exceeds_slots says it all: nobody can be placed until the shift changes
            elif not staffed and minv >= 2 and free_any < minv:
                reasons.append(Reason("min_staffing", {"needed": minv, "possible": free_any}))
            elif n_free:
                reasons.append(Reason("could_fill", {"count": n_free, "skill": skill}))
            out[g] = tuple(reasons)
        return out
