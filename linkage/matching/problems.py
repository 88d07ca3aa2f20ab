"""The one translator between database rows and the optimizer's plain-data problems.

Each builder returns (problem, inputs): ``problem`` is the JSON the solver contract defines
(docs/contract.md), ``inputs`` records the ids and versions of the rows it was built from,
so approval can tell whether the data changed underneath the proposal.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Optional

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from linkage import settings
from linkage.cases.queries import open_case_counts, remaining_caseload
from linkage.errors import Refused
from linkage.extensions import db
from linkage.models import (HOLDING_STATUSES, AccountStatus, Bid, BidStatus, ExceptionKind, Need, NeedStatus, Organization,
                            OrgStatus, Project, ProjectStatus, Region, RegionLevel, Shift, ShiftSlot, ShiftStatus,
                            SignUp, SignUpStatus, Skill, SocialWorker, User, Volunteer, VolunteerStatus)
from linkage.models.shifts import shift_needs
from linkage.models.types import utcnow
from linkage.shifts import eligibility
from linkage.timeutil import LOCAL_TZ, today as local_today

# Shift, volunteer and resident ids are prefixed so the solver's ids never collide across kinds.
VOLUNTEER, SHIFT, RESIDENT, COMMUNITY = "v", "s", "r", "c"


def _iso(value: datetime) -> str:
    return value.astimezone(LOCAL_TZ).isoformat()


def _volunteer_region(region: Region) -> Region:
    """Volunteers of the whole street may serve a community's shifts."""
    return region.street_area()


def shift_rows(region: Region, start: datetime, end: datetime, organization_id: Optional[int] = None, *,
               now: Optional[datetime] = None) -> list[Shift]:
    """Open shifts in the region and period that have not started; with ``organization_id``, only those
    of projects it won."""
    query = (sa.select(Shift).where(Region.subtree_clause(Shift.region_id, region),
                                    Shift.start >= max(start, now or utcnow()), Shift.start < end,
                                    Shift.status.in_((ShiftStatus.open, ShiftStatus.staffed)))
             .options(selectinload(Shift.slots).selectinload(ShiftSlot.skill),
                      selectinload(Shift.needs), selectinload(Shift.sign_ups))
             .order_by(Shift.start, Shift.id))
    if organization_id is not None:
        query = query.where(Shift.project_id.in_(sa.select(Bid.project_id).where(
            Bid.organization_id == organization_id, Bid.status == BidStatus.won)))
    return list(db.session.scalars(query))


def volunteer_rows(region: Region) -> list[Volunteer]:
    scope = _volunteer_region(region)
    return list(db.session.scalars(
        sa.select(Volunteer).outerjoin(User, Volunteer.user_id == User.id)
        .where(Region.subtree_clause(Volunteer.region_id, scope), Volunteer.status == VolunteerStatus.active,
               sa.or_(Volunteer.user_id.is_(None), User.status == AccountStatus.active))
        .options(selectinload(Volunteer.skills), selectinload(Volunteer.availability),
                 selectinload(Volunteer.exceptions), selectinload(Volunteer.consents))
        .order_by(Volunteer.id)))


def _windows(volunteer: Volunteer, start: datetime, end: datetime) -> list[list[str]]:
    """Weekly availability expanded into concrete windows over [start, end) in local time, with the
    volunteer's one-off exceptions: times they are also free added, times they are away cut out."""
    free = []
    day = start.astimezone(LOCAL_TZ).date()
    last = end.astimezone(LOCAL_TZ).date()
    while day <= last:
        for slot in volunteer.availability:
            if slot.weekday == day.weekday():
                free.append((datetime.combine(day, slot.start_time, LOCAL_TZ),
                             datetime.combine(day, slot.end_time, LOCAL_TZ)))
        free.extend(e.bounds() for e in volunteer.exceptions if e.kind == ExceptionKind.extra and e.day == day)
        day += timedelta(days=1)
    for away_start, away_end in eligibility.away_of(volunteer):
        free = [piece for begin, finish in free
                for piece in ((begin, min(finish, away_start)), (max(begin, away_end), finish))
                if piece[0] < piece[1]]
    return [[begin.isoformat(), finish.isoformat()] for begin, finish in sorted(free)]


def _history(volunteer_ids: list[int]) -> dict[int, set[int]]:
    """Residents each volunteer has served before (attended shifts that served their needs)."""
    if not volunteer_ids:
        return {}
    rows = db.session.execute(
        sa.select(SignUp.volunteer_id, Need.resident_id)
        .join(shift_needs, shift_needs.c.shift_id == SignUp.shift_id)
        .join(Need, Need.id == shift_needs.c.need_id)
        .where(SignUp.volunteer_id.in_(volunteer_ids), SignUp.status == SignUpStatus.checked_out)
        .distinct())
    history: dict[int, set[int]] = {}
    for volunteer_id, resident_id in rows:
        history.setdefault(volunteer_id, set()).add(resident_id)
    return history


def _holders(shifts: list[Shift], known: set[int]) -> list[Volunteer]:
    """Volunteers holding places on these shifts who live outside the area (their places count too)."""
    ids = sorted({s.volunteer_id for shift in shifts for s in shift.sign_ups
                  if s.status in HOLDING_STATUSES and s.volunteer_id not in known})
    if not ids:
        return []
    return list(db.session.scalars(sa.select(Volunteer).where(Volunteer.id.in_(ids))
                                   .options(selectinload(Volunteer.skills), selectinload(Volunteer.availability),
                                            selectinload(Volunteer.exceptions), selectinload(Volunteer.consents))))


def _kept_places(shifts: list[Shift], candidates: dict[int, eligibility.Candidate],
                 outside: dict[int, list[eligibility.Booking]], *, now: datetime):
    """Places volunteers already hold, oldest first: each is kept (a pin) if the eligibility rule allows
    it beside the places kept before it, else it is a conflict for staff to resolve (the place stays
    taken, so it still uses its slot and the volunteer's time)."""
    held = sorted(((sign_up, shift) for shift in shifts for sign_up in shift.sign_ups
                   if sign_up.status in HOLDING_STATUSES), key=lambda pair: (pair[0].created_at, pair[0].id))
    kept: dict[int, list[eligibility.Booking]] = {}
    pins, conflicts = [], []
    for sign_up, shift in held:
        vid = sign_up.volunteer_id
        booking = eligibility.Booking(shift.id, shift.title, shift.start, shift.end)
        reason = eligibility.why_not(candidates[vid], eligibility.opening_of(shift), outside[vid] + kept.get(vid, []),
                                     now=now)
        if reason is None:
            kept.setdefault(vid, []).append(booking)
            pins.append((sign_up, shift))
        else:
            outside[vid].append(booking)
            conflicts.append({"volunteer": vid, "shift": shift.id, "slot_id": sign_up.slot_id,
                              "reason": reason.as_dict()})
    return pins, conflicts


def _shift_entry(shift: Shift, kept: int, taken: dict[int, int]) -> dict:
    """A shift as the solver sees it. Places taken by conflicting kept places are not offered; a shift
    that people already hold places on takes place anyway, so its minimum is what they already make."""
    minimum = shift.min_volunteers if kept == 0 else min(shift.min_volunteers, kept)
    return {
        "id": f"{SHIFT}{shift.id}", "start": _iso(shift.start), "end": _iso(shift.end),
        "location": [shift.latitude if shift.latitude is not None else shift.region.latitude,
                     shift.longitude if shift.longitude is not None else shift.region.longitude],
        "urgency": shift.urgency, "min_volunteers": minimum,
        "slots": [{"skill": slot.skill.code if slot.skill else None,
                   "count": max(slot.count - taken.get(slot.id, 0), 0)} for slot in shift.slots],
        "residents": sorted({f"{RESIDENT}{need.resident_id}" for need in shift.needs}),
    }


def _skills_held(candidate: eligibility.Candidate, codes: dict[int, str], end: datetime) -> list[str]:
    """The skills the solver may use the volunteer for: those that count on the period's last day
    (``eligibility.holds``), so a certificate expiring within the period is never relied on."""
    last_day = end.astimezone(LOCAL_TZ).date()
    return sorted(code for skill_id, code in codes.items() if eligibility.holds(candidate, skill_id, last_day))


def _volunteer_entry(volunteer: Volunteer, start: datetime, end: datetime, busy_minutes: int,
                     preferences: list[str], history: set[int], skills: list[str]) -> dict:
    return {
        "id": f"{VOLUNTEER}{volunteer.id}", "skills": skills,
        "location": [volunteer.latitude if volunteer.latitude is not None else volunteer.region.latitude,
                     volunteer.longitude if volunteer.longitude is not None else volunteer.region.longitude],
        "max_travel_km": volunteer.max_travel_km,
        "max_minutes": max(0, volunteer.weekly_minutes_limit - busy_minutes),
        "availability": _windows(volunteer, start, end),
        "preferences": preferences,
        "history": sorted(f"{RESIDENT}{r}" for r in history),
    }


def _ineligible_pairs(volunteers: list[Volunteer], shifts: list[Shift], candidates, outside, *,
                      now: datetime) -> dict[tuple[str, str], eligibility.Reason]:
    """Pairs the eligibility rule refuses (age on the day, consent, no skill for any slot, a place held
    elsewhere at that time …), with the reason: the solver is never offered them."""
    refused = {}
    openings = [(shift, eligibility.opening_of(shift)) for shift in shifts]
    for volunteer in volunteers:
        for shift, opening in openings:
            reason = eligibility.why_not(candidates[volunteer.id], opening, outside[volunteer.id], now=now)
            if reason is not None:
                refused[(f"{VOLUNTEER}{volunteer.id}", f"{SHIFT}{shift.id}")] = reason
    return refused


def build_shift_problem(region: Region, start: datetime, end: datetime, *, pins=(), forbids=(),
                        keep_assigned: bool = True, organization_id: Optional[int] = None,
                        now: Optional[datetime] = None, fairness: Optional[dict] = None) -> tuple[dict, dict]:
    """Volunteers × shifts for ``region`` and [start, end); with ``fairness`` options each shift names its
    community (``c`` + region id) for the floors, and the problem carries the options.

    Only pairs the eligibility rule allows are offered; places volunteers already hold are kept
    (pins) when the rule allows them, else listed in ``inputs["conflicts"]`` for staff, and the run
    proposes for everything else."""
    now = now or utcnow()
    shifts = shift_rows(region, start, end, organization_id, now=now)
    volunteers = volunteer_rows(region)
    volunteers += _holders(shifts, {v.id for v in volunteers})
    certificates = eligibility.certificates_of(v.id for v in volunteers)
    candidates = {v.id: eligibility.candidate_of(v, certificates[v.id]) for v in volunteers}
    in_problem = {s.id for s in shifts}
    outside = {vid: [b for b in bookings if b.shift_id not in in_problem]
               for vid, bookings in eligibility.bookings_of(candidates, start, end).items()}
    kept, conflicts = _kept_places(shifts, candidates, outside, now=now) if keep_assigned else ([], [])
    kept_count: dict[int, int] = {}
    for _sign_up, shift in kept:
        kept_count[shift.id] = kept_count.get(shift.id, 0) + 1
    taken: dict[int, int] = {}
    for conflict in conflicts:
        taken[conflict["slot_id"]] = taken.get(conflict["slot_id"], 0) + 1
    preferences: dict[int, list[str]] = {}
    for shift in shifts:
        for sign_up in shift.sign_ups:
            if sign_up.status in (SignUpStatus.requested, SignUpStatus.waitlisted) and sign_up.volunteer_id in candidates:
                preferences.setdefault(sign_up.volunteer_id, []).append(f"{SHIFT}{shift.id}")
    history = _history(list(candidates))
    staff_forbids = {tuple(p) for p in forbids}
    ineligible = _ineligible_pairs(volunteers, shifts, candidates, outside, now=now)
    for pin in pins:
        if tuple(pin) in ineligible:
            raise Refused(_l("This pairing cannot be pinned: %(why)s", why=ineligible[tuple(pin)].text()),
                          field="left")
    codes = {skill_id: code for skill_id, code in db.session.execute(sa.select(Skill.id, Skill.code))}
    busy = {vid: sum(b.minutes for b in bookings if start <= b.start < end) for vid, bookings in outside.items()}
    problem = {
        "settings": {"max_travel_km": settings.get("MATCH_MAX_TRAVEL_KM"),
                     "rest_minutes": settings.get("MATCH_REST_MINUTES"),
                     "timezone": "Asia/Shanghai"},
        "volunteers": [_volunteer_entry(v, start, end, busy[v.id], preferences.get(v.id, []), history.get(v.id, set()),
                                        _skills_held(candidates[v.id], codes, end))
                       for v in volunteers],
        "shifts": [_shift_entry(s, kept_count.get(s.id, 0), taken) for s in shifts],
        "pins": [[f"{VOLUNTEER}{u.volunteer_id}", f"{SHIFT}{s.id}"] for u, s in kept] + [list(p) for p in pins],
        "forbids": [list(p) for p in forbids] + [list(pair) for pair in ineligible if pair not in staff_forbids],
    }
    if fairness is not None:
        problem["fairness"] = dict(fairness)
        for entry, shift in zip(problem["shifts"], shifts):
            community = shift.region.ancestor_at(RegionLevel.community)
            if community is not None:
                entry["community"] = f"{COMMUNITY}{community.id}"
    inputs = {
        "shifts": {str(s.id): [s.version, s.status.value, s.start.isoformat(), s.end.isoformat()] for s in shifts},
        "volunteers": {str(v.id): v.status.value for v in volunteers},
        "kept": [[u.volunteer_id, s.id] for u, s in kept],
        "conflicts": conflicts,
    }
    return problem, inputs


def award_rows(region: Region) -> list[Project]:
    return list(db.session.scalars(
        sa.select(Project).where(Region.subtree_clause(Project.region_id, region),
                                 Project.status == ProjectStatus.evaluated)
        .options(selectinload(Project.bids).selectinload(Bid.organization)).order_by(Project.id)))


def build_award_problem(region: Region, *, funding_pool: Optional[float] = None, pins=(),
                        forbids=()) -> tuple[dict, dict]:
    """Bids × projects evaluated by the panel in ``region``; only scored bids compete."""
    projects = award_rows(region)
    today = local_today()
    organizations: dict[int, Organization] = {}
    bids = []
    for project in projects:
        # In the order they were submitted: first come, first served compares against that order.
        for bid in sorted(project.bids, key=lambda b: (b.submitted_at or b.created_at, b.id)):
            if bid.status != BidStatus.scored or bid.technical_score is None:
                continue
            organizations[bid.organization_id] = bid.organization
            bids.append(bid)
    problem = {
        "funding_pool": funding_pool,
        "projects": [{"id": f"p{p.id}", "budget": float(p.budget), "price_weight": p.price_weight,
                      "min_grade": p.min_grade or None} for p in projects],
        "organizations": [{"id": f"o{o.id}", "grade": o.effective_grade(today), "capacity": o.capacity,
                           "blacklisted": o.status != OrgStatus.active} for o in organizations.values()],
        "bids": [{"id": f"b{b.id}", "project": f"p{b.project_id}", "organization": f"o{b.organization_id}",
                  "price": float(b.price), "technical_score": b.technical_score, "workload": b.workload}
                 for b in bids],
        "pins": list(pins), "forbids": list(forbids),
    }
    inputs = {
        "projects": {str(p.id): p.status.value for p in projects},
        "bids": {str(b.id): [b.status.value, str(b.price), b.technical_score] for b in bids},
        "organizations": {str(o.id): o.status.value for o in organizations.values()},
    }
    return problem, inputs


def case_rows(region: Region) -> tuple[list[Need], list[SocialWorker]]:
    needs = list(db.session.scalars(
        sa.select(Need).where(Region.subtree_clause(Need.region_id, region), Need.needs_professional.is_(True),
                              Need.case_worker_id.is_(None),
                              Need.status.in_((NeedStatus.open, NeedStatus.matched)))
        .options(selectinload(Need.category)).order_by(Need.id)))
    workers = list(db.session.scalars(
        sa.select(SocialWorker).join(Organization, Organization.id == SocialWorker.organization_id)
        .where(SocialWorker.active.is_(True), Organization.status == OrgStatus.active,
               Region.subtree_clause(Organization.region_id, region.district_area()))
        .options(selectinload(SocialWorker.organization).selectinload(Organization.categories),
                 selectinload(SocialWorker.organization).selectinload(Organization.region))
        .order_by(SocialWorker.id)))
    return needs, workers


def build_case_problem(region: Region, *, pins=(), forbids=()) -> tuple[dict, dict]:
    """Professional needs × social workers of active organizations, within caseload limits."""
    needs, workers = case_rows(region)
    open_cases = open_case_counts(w.id for w in workers)
    served = {}
    for worker_id, resident_id in db.session.execute(
            sa.select(Need.case_worker_id, Need.resident_id).where(Need.case_worker_id.is_not(None)).distinct()):
        served.setdefault(worker_id, set()).add(resident_id)
    problem = {
        "max_travel_km": settings.get("MATCH_MAX_TRAVEL_KM"),
        "needs": [{"id": f"n{n.id}", "urgency": n.urgency, "sector": n.category.sector.code,
                   "min_level": 2 if n.urgency >= 3 else 1, "resident": f"{RESIDENT}{n.resident_id}",
                   "location": [n.latitude if n.latitude is not None else n.region.latitude,
                                n.longitude if n.longitude is not None else n.region.longitude]}
                  for n in needs],
        "workers": [{"id": f"w{w.id}", "level": w.level.value,
                     "location": [w.organization.region.latitude, w.organization.region.longitude],
                     "capacity": remaining_caseload(w, open_cases),
                     "sectors": sorted({c.sector.code for c in w.organization.categories}),
                     "residents": sorted(f"{RESIDENT}{r}" for r in served.get(w.id, ()))} for w in workers],
        "pins": [list(p) for p in pins], "forbids": [list(p) for p in forbids],
    }
    inputs = {"needs": {str(n.id): n.status.value for n in needs},
              "workers": {str(w.id): [w.active, open_cases.get(w.id, 0)] for w in workers}}
    return problem, inputs
