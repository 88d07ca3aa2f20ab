"""The one translator between database rows and the optimizer's plain-data problems.

Each builder returns (problem, inputs): ``problem`` is the JSON the solver contract defines
(../shared/MATCHING.md), ``inputs`` records the ids and versions of the rows it was built from,
so approval can tell whether the data changed underneath the proposal.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from linkage import settings
from linkage.extensions import db
from linkage.models import (HOLDING_STATUSES, AccountStatus, Bid, BidStatus, Need, NeedStatus, Organization,
                            OrgStatus, Project, ProjectStatus, Region, RegionLevel, Shift, ShiftSlot, ShiftStatus,
                            SignUp, SignUpStatus, SocialWorker, User, Volunteer, VolunteerStatus)
from linkage.models.shifts import shift_needs
from linkage.timeutil import LOCAL_TZ

# Shift, volunteer and resident ids are prefixed so the solver's ids never collide across kinds.
VOLUNTEER, SHIFT, RESIDENT = "v", "s", "r"


def _iso(value: datetime) -> str:
    return value.astimezone(LOCAL_TZ).isoformat()


def _volunteer_region(region: Region) -> Region:
    """Volunteers of the whole street may serve a community's shifts."""
    return region.ancestor_at(RegionLevel.street) or region


def shift_rows(region: Region, start: datetime, end: datetime, organization_id: Optional[int] = None) -> list[Shift]:
    """Open shifts in the region and period; with ``organization_id``, only those of projects it won."""
    query = (sa.select(Shift).where(Region.subtree_clause(Shift.region_id, region), Shift.start >= start,
                                    Shift.start < end, Shift.status.in_((ShiftStatus.open, ShiftStatus.staffed)))
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
        .options(selectinload(Volunteer.skills), selectinload(Volunteer.availability))
        .order_by(Volunteer.id)))


def _windows(volunteer: Volunteer, start: datetime, end: datetime) -> list[list[str]]:
    """Weekly availability expanded into concrete windows over [start, end) in local time."""
    windows = []
    day = start.astimezone(LOCAL_TZ).date()
    last = end.astimezone(LOCAL_TZ).date()
    while day <= last:
        for slot in volunteer.availability:
            if slot.weekday == day.weekday():
                begin = datetime.combine(day, slot.start_time, LOCAL_TZ)
                finish = datetime.combine(day, slot.end_time, LOCAL_TZ)
                windows.append([begin.isoformat(), finish.isoformat()])
        day += timedelta(days=1)
    return windows


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


def _minutes_elsewhere(volunteer_ids: list[int], shift_ids: list[int], start: datetime,
                       end: datetime) -> dict[int, int]:
    """Minutes already held on shifts outside this problem in the same period (count against the limit)."""
    if not volunteer_ids:
        return {}
    rows = db.session.execute(
        sa.select(SignUp.volunteer_id, Shift.start, Shift.end).join(Shift, Shift.id == SignUp.shift_id)
        .where(SignUp.volunteer_id.in_(volunteer_ids), SignUp.status.in_(HOLDING_STATUSES),
               Shift.start >= start, Shift.start < end, Shift.id.not_in(shift_ids or [0])))
    minutes: dict[int, int] = {}
    for volunteer_id, begin, finish in rows:
        minutes[volunteer_id] = minutes.get(volunteer_id, 0) + int((finish - begin).total_seconds() // 60)
    return minutes


def build_shift_problem(region: Region, start: datetime, end: datetime, *, pins=(), forbids=(),
                        keep_assigned: bool = True, organization_id: Optional[int] = None) -> tuple[dict, dict]:
    """Volunteers × shifts for ``region`` and [start, end): verified active volunteers, open shifts."""
    shifts = shift_rows(region, start, end, organization_id)
    volunteers = volunteer_rows(region)
    volunteer_ids = [v.id for v in volunteers]
    known = set(volunteer_ids)
    history = _history(volunteer_ids)
    elsewhere = _minutes_elsewhere(volunteer_ids, [s.id for s in shifts], start, end)
    preferences: dict[int, list[str]] = {}
    holding: list[list[str]] = []
    for shift in shifts:
        for sign_up in shift.sign_ups:
            if sign_up.volunteer_id not in known:
                continue
            if sign_up.status in (SignUpStatus.requested, SignUpStatus.waitlisted):
                preferences.setdefault(sign_up.volunteer_id, []).append(f"{SHIFT}{shift.id}")
            elif sign_up.status in HOLDING_STATUSES and keep_assigned:
                holding.append([f"{VOLUNTEER}{sign_up.volunteer_id}", f"{SHIFT}{shift.id}"])
    problem = {
        "settings": {"max_travel_km": settings.get("MATCH_MAX_TRAVEL_KM"),
                     "rest_minutes": settings.get("MATCH_REST_MINUTES"),
                     "timezone": "Asia/Shanghai"},
        "volunteers": [{
            "id": f"{VOLUNTEER}{v.id}", "skills": sorted(skill.code for skill in v.skills),
            "location": [v.latitude if v.latitude is not None else v.region.latitude,
                         v.longitude if v.longitude is not None else v.region.longitude],
            "max_travel_km": v.max_travel_km,
            "max_minutes": max(0, v.weekly_minutes_limit - elsewhere.get(v.id, 0)),
            "availability": _windows(v, start, end),
            "preferences": preferences.get(v.id, []),
            "history": sorted(f"{RESIDENT}{r}" for r in history.get(v.id, ())),
        } for v in volunteers],
        "shifts": [{
            "id": f"{SHIFT}{s.id}", "start": _iso(s.start), "end": _iso(s.end),
            "location": [s.latitude if s.latitude is not None else s.region.latitude,
                         s.longitude if s.longitude is not None else s.region.longitude],
            "urgency": s.urgency, "min_volunteers": s.min_volunteers,
            "slots": [{"skill": slot.skill.code if slot.skill else None, "count": slot.count} for slot in s.slots],
            "residents": sorted({f"{RESIDENT}{need.resident_id}" for need in s.needs}),
        } for s in shifts],
        "pins": holding + [list(p) for p in pins],
        "forbids": [list(p) for p in forbids],
    }
    inputs = {
        "shifts": {str(s.id): [s.version, s.status.value, s.start.isoformat(), s.end.isoformat()] for s in shifts},
        "volunteers": {str(v.id): v.status.value for v in volunteers},
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
    today = datetime.now(LOCAL_TZ).date()
    organizations: dict[int, Organization] = {}
    bids = []
    for project in projects:
        for bid in project.bids:
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
               Region.subtree_clause(Organization.region_id, region.ancestor_at(RegionLevel.district) or region))
        .options(selectinload(SocialWorker.organization).selectinload(Organization.categories),
                 selectinload(SocialWorker.organization).selectinload(Organization.region))
        .order_by(SocialWorker.id)))
    return needs, workers


def build_case_problem(region: Region, *, pins=(), forbids=()) -> tuple[dict, dict]:
    """Professional needs × social workers of active organizations, within caseload limits."""
    needs, workers = case_rows(region)
    open_cases = dict(db.session.execute(
        sa.select(Need.case_worker_id, sa.func.count(Need.id))
        .where(Need.case_worker_id.is_not(None),
               Need.status.not_in((NeedStatus.delivered, NeedStatus.closed, NeedStatus.rejected,
                                   NeedStatus.withdrawn, NeedStatus.expired)))
        .group_by(Need.case_worker_id)).all())
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
                     "capacity": max(0, w.caseload_limit - open_cases.get(w.id, 0)),
                     "sectors": sorted({c.sector.code for c in w.organization.categories}),
                     "residents": sorted(f"{RESIDENT}{r}" for r in served.get(w.id, ()))} for w in workers],
        "pins": [list(p) for p in pins], "forbids": [list(p) for p in forbids],
    }
    inputs = {"needs": {str(n.id): n.status.value for n in needs},
              "workers": {str(w.id): [w.active, open_cases.get(w.id, 0)] for w in workers}}
    return problem, inputs
