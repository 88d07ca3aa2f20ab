"""Read-only queries for the match-run pages."""
from __future__ import annotations


import sqlalchemy as sa

from linkage.extensions import db
from linkage.listing import matching_text
from linkage.models import MatchKind, MatchRun, MatchStatus, Region, RegionLevel, User


def runnable_regions(user: User) -> list[Region]:
    """The districts, streets and communities of ``user``'s area (grids are too small to plan)."""
    if user.region is None:
        return []
    return list(db.session.scalars(Region.select_in(user.region).where(Region.level != RegionLevel.grid)))


def filter_runs(query: sa.Select, *, kind: MatchKind | None = None, status: MatchStatus | None = None,
                area: str | None = None) -> sa.Select:
    """The runs of ``query`` of ``kind``, in ``status``, for an area named like ``area``."""
    if kind is not None:
        query = query.where(MatchRun.kind == kind)
    if status is not None:
        query = query.where(MatchRun.status == status)
    if area:
        area_ids = matching_text(sa.select(Region.id), area, Region.name)
        query = query.where(MatchRun.region_id.in_(area_ids))
    return query
