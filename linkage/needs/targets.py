"""Response targets: how long a need of a sector and urgency may wait for the community's response.

A need is *responded to* when the community verifies it or turns it down (``verified_at``, or
``closed_at`` of a rejected need); a withdrawn need asked for nothing more. The target of a need is the
row of its sector (the top of the taxonomy) and urgency in ``response_targets``, else the default
setting of its urgency (``RESPONSE_HOURS_*``). Administrators set the rows on the response targets
page; every change is an audit event.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

import sqlalchemy as sa
from flask_babel import get_locale, lazy_gettext as _l

from linkage import audit, settings
from linkage.errors import Refused
from linkage.extensions import db
from linkage.models import Category, Need, NeedStatus, ResponseTarget, Role, User

URGENCIES = (1, 2, 3, 4)
DEFAULT_SETTINGS = {1: "RESPONSE_HOURS_ROUTINE", 2: "RESPONSE_HOURS_SOON", 3: "RESPONSE_HOURS_URGENT",
                    4: "RESPONSE_HOURS_CRITICAL"}
MAX_HOURS = 8760


def default_hours(urgency: int) -> int:
    return int(settings.get(DEFAULT_SETTINGS.get(urgency, DEFAULT_SETTINGS[1])))


def sector_map() -> dict[int, int]:
    """Category id -> the id of its sector (the top of the taxonomy; a sector maps to itself), every
    category in one query."""
    parents = dict(db.session.execute(sa.select(Category.id, Category.parent_id)).all())
    sector_of = {}
    for category_id in parents:
        node = category_id
        while parents.get(node) is not None:
            node = parents[node]
        sector_of[category_id] = node
    return sector_of


@dataclass
class Targets:
    """Every target at once, for computing many needs' due times without a query each."""
    rows: dict          # (sector id, urgency) -> hours
    sector_of: dict     # category id -> sector id (``sector_map``)

    @classmethod
    def load(cls) -> Targets:
        sector_of = sector_map()
        rows = {(r.category_id, r.urgency): r.hours for r in db.session.scalars(sa.select(ResponseTarget))}
        return cls(rows, sector_of)

    def hours(self, category_id: int, urgency: int) -> int:
        sector = self.sector_of.get(category_id, category_id)
        return self.rows.get((sector, urgency)) or default_hours(urgency)


def hours_for(need: Need) -> int:
    """The response target of one need, in hours."""
    return Targets.load().hours(need.category_id, need.urgency)


def responded_at(need) -> Optional[datetime]:
    """When the community responded to the need (verified it or turned it down); None if it has not."""
    if need.verified_at is not None:
        return need.verified_at
    if need.status == NeedStatus.rejected:
        return need.closed_at
    return None


def sectors() -> list[Category]:
    """The sectors targets are set for: the active top level of the taxonomy, in code order."""
    return list(db.session.scalars(sa.select(Category).where(Category.parent_id.is_(None),
                                                             Category.active.is_(True)).order_by(Category.code)))


def parse_hours(text) -> Optional[int]:
    """A target as typed: blank is "use the default" (None); else whole hours from 1 to a year."""
    text = str(text if text is not None else "").strip()
    if not text:
        return None
    try:
        hours = int(text)
    except ValueError:
        raise Refused(_l("Enter whole hours, or leave it empty for the default.")) from None
    if not 1 <= hours <= MAX_HOURS:
        raise Refused(_l("Enter from 1 to %(max)s hours.", max=MAX_HOURS))
    return hours


def set_target(sector: Category, urgency: int, hours: Optional[int], *, actor: User) -> bool:
    """Set (or, with None, remove) the target of ``sector`` and ``urgency``; an audit event when it
    changes. Answers whether it changed."""
    if actor.role != Role.admin:
        raise Refused(_l("Only administrators set response targets."))
    if sector.parent_id is not None or urgency not in URGENCIES:
        raise Refused(_l("Response targets are set per sector and urgency."))
    row = db.session.scalar(sa.select(ResponseTarget).where(ResponseTarget.category_id == sector.id,
                                                            ResponseTarget.urgency == urgency))
    before = row.hours if row is not None else None
    if before == hours:
        return False
    if row is None:
        row = ResponseTarget(category_id=sector.id, urgency=urgency, hours=hours, updated_by_id=actor.id)
        db.session.add(row)
        db.session.flush()
    elif hours is not None:
        row.hours, row.updated_by_id = hours, actor.id
    after = {"category_id": sector.id, "urgency": urgency,
             "hours": hours if hours is not None else default_hours(urgency)}
    audit.record(actor, "response_target.set" if hours is not None else "response_target.reset", row,
                 before={"category_id": sector.id, "urgency": urgency,
                         "hours": before if before is not None else default_hours(urgency)},
                 after=after, region_id=None)
    if hours is None:
        db.session.delete(row)
    db.session.flush()
    return True


def save_targets(values: dict, *, actor: User) -> int:
    """Save the page's grid: ``values`` maps (sector, urgency) to the typed text. Every value is checked
    first; one that is not valid refuses the whole save (naming the sector and urgency), nothing written.
    Answers how many targets changed."""
    parsed = {}
    for (sector, urgency), text in values.items():
        try:
            parsed[(sector, urgency)] = parse_hours(text)
        except Refused as refusal:
            raise Refused(_l("%(sector)s, urgency %(urgency)s: %(message)s", sector=sector.display_name(str(get_locale() or "zh_CN")),
                             urgency=urgency, message=refusal.message)) from None
    return sum(set_target(sector, urgency, hours, actor=actor) for (sector, urgency), hours in parsed.items())


@dataclass
class Summary:
    """What a need's page says about its response: the target, when it is due, and how it went."""
    hours: int
    due: datetime
    responded: Optional[datetime]
    overdue_at: Optional[datetime]
    escalated_at: Optional[datetime]

    @property
    def on_time(self) -> Optional[bool]:
        return None if self.responded is None else self.responded <= self.due


def summary(need: Need) -> Summary:
    hours = hours_for(need)
    return Summary(hours, need.created_at + timedelta(hours=hours), responded_at(need), need.overdue_at,
                   need.escalated_at)
