"""Who may start, see and decide match runs: the checks views and services share."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from linkage.auth.access import can_see_region, require
from linkage.extensions import db
from linkage.models import MatchKind, MatchRun, Region, Role, User

# Roles that open the match-run pages at all (each sees its own scope; admins see everything).
RUNNERS = (Role.civil_affairs, Role.social_worker)


def can_run(user: User, kind: MatchKind) -> bool:
    """Civil affairs run every kind; social workers run volunteer matching for their own projects' shifts."""
    if user.role in (Role.civil_affairs, Role.admin):
        return True
    return user.role == Role.social_worker and kind == MatchKind.shifts


def visible_runs(user: User) -> sa.Select:
    """The runs ``user`` may see, newest first: civil affairs their area's, social workers their own."""
    query = (sa.select(MatchRun).options(joinedload(MatchRun.region), joinedload(MatchRun.created_by))
             .order_by(MatchRun.id.desc()))
    if user.role == Role.admin:
        return query
    if user.role == Role.civil_affairs:
        return query.where(Region.subtree_clause(MatchRun.region_id, user.region))
    return query.where(MatchRun.created_by_id == user.id)


def can_view(user: User, run: MatchRun) -> bool:
    """Admins see every run, civil affairs the runs of their area, social workers the runs they started."""
    if user.role == Role.admin:
        return True
    if user.role == Role.civil_affairs:
        return can_see_region(user, run.region)
    return run.created_by_id == user.id


def get_run_or_404(run_id: int, user: User) -> MatchRun:
    """The run, or 404 when there is none and 403 when ``user`` may not see it."""
    run = db.get_or_404(MatchRun, run_id)
    require(can_view(user, run))
    return run
