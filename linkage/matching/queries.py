"""Read-only queries for the match-run pages."""
from __future__ import annotations


from linkage.extensions import db
from linkage.models import Region, RegionLevel, User


def runnable_regions(user: User) -> list[Region]:
    """The districts, streets and communities of ``user``'s area (grids are too small to plan)."""
    if user.region is None:
        return []
    return list(db.session.scalars(Region.select_in(user.region).where(Region.level != RegionLevel.grid)))
