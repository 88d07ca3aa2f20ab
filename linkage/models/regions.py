"""The region tree: district > street > community > grid. Scopes are subtrees."""
from __future__ import annotations

import enum
from typing import Optional

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from linkage.extensions import db


class RegionLevel(enum.Enum):
    district = 1
    street = 2
    community = 3
    grid = 4

    @property
    def label(self):
        return {RegionLevel.district: _l("District"), RegionLevel.street: _l("Street"),
                RegionLevel.community: _l("Community"), RegionLevel.grid: _l("Grid")}[self]


class Region(db.Model):
    __tablename__ = "regions"

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("regions.id"), index=True)
    level: Mapped[RegionLevel] = mapped_column(sa.Enum(RegionLevel, native_enum=False, length=16))
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    name_en: Mapped[str] = mapped_column(sa.String(100), default="")
    # Materialized path of ids, e.g. "/1/4/17/": a subtree is every path with this prefix.
    path: Mapped[str] = mapped_column(sa.String(255), index=True, default="")
    latitude: Mapped[Optional[float]] = mapped_column(sa.Float)
    longitude: Mapped[Optional[float]] = mapped_column(sa.Float)
    # Retired: no new resident, need, shift, account or organization is placed here; existing ones stay.
    active: Mapped[bool] = mapped_column(default=True)

    parent: Mapped[Optional[Region]] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Region]] = relationship(back_populates="parent", order_by="Region.code")

    def __repr__(self) -> str:
        return f"<Region {self.code} {self.name}>"

    def set_path(self) -> None:
        """Derive ``path`` from the parent; the row must have an id (flush first)."""
        prefix = self.parent.path if self.parent is not None else "/"
        self.path = f"{prefix}{self.id}/"

    def contains(self, other: Optional[Region]) -> bool:
        """Whether ``other`` lies in this region's subtree (itself included)."""
        return other is not None and other.path.startswith(self.path)

    def ancestor_at(self, level: RegionLevel) -> Optional[Region]:
        node: Optional[Region] = self
        while node is not None and node.level.value > level.value:
            node = node.parent
        return node if node is not None and node.level == level else None

    def district_area(self) -> Region:
        """The district holding this region (itself for a district), or the region itself when none holds
        it (a top-level region). The one rule for a place's district: the social workers a case run
        draws on and the area its empty run names, a volunteer number's lock, an organization's
        dashboard scope."""
        return self.ancestor_at(RegionLevel.district) or self

    def community_area(self) -> Region:
        """The community holding this region (itself for a community, the one above a grid), or the region
        itself when no community holds it (a street, a district). The one rule for the community a place
        is counted in and served from: the on-time report's rows, the forecast's series, a follow-up's
        community, the requests a resident may follow, a grid worker's desk."""
        return self.ancestor_at(RegionLevel.community) or self

    def street(self) -> Optional[Region]:
        """The street (sub-district) this region lies in: itself for a street, the street above a community
        or a grid; None for a district. The one rule for a place's street, which ``street_area`` reads and
        so do a need escalated to the street and a district's match run cut by street."""
        return self.ancestor_at(RegionLevel.street)

    def street_area(self) -> Region:
        """The street (sub-district) holding this region, or the region itself when no street holds it (a
        district). The one rule for a place's street: the shifts a volunteer browses and may be matched to,
        the people a joint meeting draws on."""
        return self.street() or self

    @property
    def coordinates(self) -> Optional[tuple[float, float]]:
        if self.latitude is None or self.longitude is None:
            return None
        return (self.latitude, self.longitude)

    def display_name(self, locale: str = "zh_CN") -> str:
        return self.name_en if locale.startswith("en") and self.name_en else self.name

    @classmethod
    def offered(cls, keep=()):
        """SQL condition: what a form may offer: active ones, and those in ``keep`` (ids a record already
        names, so that editing it does not drop a retired one)."""
        keep = [k for k in keep if k is not None]
        return sa.or_(cls.active.is_(True), cls.id.in_(keep)) if keep else cls.active.is_(True)

    @staticmethod
    def subtree_clause(column, scope: Region):
        """SQL condition: the region in ``column`` (a Region.id column) lies under ``scope``."""
        return column.in_(sa.select(Region.id).where(Region.path.startswith(scope.path)))

    @classmethod
    def select_in(cls, scope: Region, level: Optional[RegionLevel] = None):
        query = sa.select(cls).where(cls.path.startswith(scope.path))
        if level is not None:
            query = query.where(cls.level == level)
        return query.order_by(cls.code)
