"""The service taxonomy and the region tree, as administrators keep them: add, rename, retire.

Nothing is ever deleted and no code changes once given: needs, projects, shifts, residents and skills keep
pointing at the row they named, and a retired row keeps its name on their pages. Retired rows are offered
on no form for new records (``Region.offered``, ``Skill.offered``, ``Category.active``). A region is retired
only when nothing is still going on in it (no open need, no shift still to come or under way) and none of its
children is active; a category only when none of its sub-categories is active. Every change is audited
with the values before and after.
"""
from __future__ import annotations

import re
from typing import Optional

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from linkage import audit
from linkage.errors import Refused
from linkage.extensions import db
from linkage.models import (FINISHED_STATUSES, Category, Need, NeedStatus, Region, RegionLevel, Shift, Skill,
                            User)

CODE_PART = re.compile(r"^[a-z][a-z0-9_]{0,30}$")
REGION_CODE = re.compile(r"^[0-9]{1,32}$")
MAX_CATEGORY_LEVEL = 3
# Needs still waiting for or receiving a service: their region must stay open.
OPEN_NEEDS = (NeedStatus.submitted, NeedStatus.open, NeedStatus.matched, NeedStatus.in_service, NeedStatus.delivered)
NAMES = ("name", "name_en")


def _names(name: str, name_en: str) -> tuple[str, str]:
    name, name_en = (name or "").strip(), (name_en or "").strip()
    if not name:
        raise Refused(_l("Give the Chinese name."), field="name")
    if len(name) > 100 or len(name_en) > 100:
        raise Refused(_l("Keep names under 100 characters."), field="name")
    return name, name_en


def _code_free(model, code: str) -> None:
    if db.session.scalar(sa.select(sa.func.count()).select_from(model).where(model.code == code)):
        raise Refused(_l("The code %(code)s is already in use (codes are never reused).", code=code), field="code")


def _rename(row, action: str, name: str, name_en: str, actor: User) -> None:
    name, name_en = _names(name, name_en)
    before = audit.snapshot(row, *NAMES)
    if (row.name, row.name_en) == (name, name_en):
        raise Refused(_l("Nothing changed."))
    row.name, row.name_en = name, name_en
    audit.record(actor, action, row, before=before, after=audit.snapshot(row, *NAMES))


def _retire(row, action: str, actor: User) -> None:
    before = audit.snapshot(row, "active")
    row.active = False
    audit.record(actor, action, row, before=before, after=audit.snapshot(row, "active"))


# --- categories ------------------------------------------------------------------------------------------

def add_category(*, parent: Optional[Category], code: str, name: str, name_en: str, actor: User) -> Category:
    """A new sector (no parent), category or sub-category; its code is the parent's code, a dot and ``code``."""
    part = (code or "").strip().lower()
    if not CODE_PART.match(part):
        raise Refused(_l("Use a short code of lowercase letters, digits and '_', starting with a letter."),
                      field="code")
    if parent is not None and not parent.active:
        raise Refused(_l("%(name)s is retired: nothing new goes under it.", name=parent.name), field="parent")
    level = parent.level + 1 if parent is not None else 1
    if level > MAX_CATEGORY_LEVEL:
        raise Refused(_l("The taxonomy has three levels: sector, category, sub-category."), field="parent")
    full = f"{parent.code}.{part}" if parent is not None else part
    _code_free(Category, full)
    name, name_en = _names(name, name_en)
    category = Category(parent=parent, level=level, code=full, name=name, name_en=name_en, active=True)
    db.session.add(category)
    db.session.flush()
    audit.record(actor, "category.add", category, after={**audit.snapshot(category, "code", *NAMES),
                                                          "parent": parent.name if parent is not None else None})
    return category


def rename_category(category: Category, *, name: str, name_en: str, actor: User) -> None:
    _rename(category, "category.rename", name, name_en, actor)


def retire_category(category: Category, *, actor: User) -> None:
    """Offered on no new form from now on; needs, projects and organizations that name it keep it."""
    if not category.active:
        raise Refused(_l("%(name)s is already retired.", name=category.name))
    active_children = [c.name for c in category.children if c.active]
    if active_children:
        raise Refused(_l("Retire its sub-categories first: %(names)s.", names="、".join(active_children)))
    _retire(category, "category.retire", actor)


# --- skills ----------------------------------------------------------------------------------------------

def add_skill(*, code: str, name: str, name_en: str, is_certificate: bool, category: Optional[Category],
              actor: User) -> Skill:
    code = (code or "").strip().lower()
    if not CODE_PART.match(code):
        raise Refused(_l("Use a short code of lowercase letters, digits and '_', starting with a letter."),
                      field="code")
    _code_free(Skill, code)
    if category is not None and not category.active:
        raise Refused(_l("%(name)s is retired: nothing new goes under it.", name=category.name), field="category")
    name, name_en = _names(name, name_en)
    skill = Skill(code=code, name=name, name_en=name_en, is_certificate=bool(is_certificate),
                  category_id=category.id if category is not None else None, active=True)
    db.session.add(skill)
    db.session.flush()
    audit.record(actor, "skill.add", skill,
                 after=audit.snapshot(skill, "code", "name", "name_en", "is_certificate", "category_id"))
    return skill


def rename_skill(skill: Skill, *, name: str, name_en: str, actor: User) -> None:
    _rename(skill, "skill.rename", name, name_en, actor)


def retire_skill(skill: Skill, *, actor: User) -> None:
    """Offered on no new shift, need or profile from now on; volunteers and shifts that name it keep it."""
    if not skill.active:
        raise Refused(_l("%(name)s is already retired.", name=skill.name))
    _retire(skill, "skill.retire", actor)


# --- regions ---------------------------------------------------------------------------------------------

def add_region(parent: Region, *, code: str, name: str, name_en: str, actor: User) -> Region:
    """A child of ``parent`` one level down (street, community or grid); its code extends the parent's."""
    if not parent.active:
        raise Refused(_l("%(name)s is retired: nothing new goes under it.", name=parent.name))
    if parent.level == RegionLevel.grid:
        raise Refused(_l("A grid is the smallest region: it has no children."))
    code = (code or "").strip()
    if not REGION_CODE.match(code) or not code.startswith(parent.code) or len(code) <= len(parent.code):
        raise Refused(_l("The code is made of digits and starts with the code of %(name)s (%(code)s).",
                         name=parent.name, code=parent.code), field="code")
    _code_free(Region, code)
    name, name_en = _names(name, name_en)
    region = Region(parent=parent, level=RegionLevel(parent.level.value + 1), code=code, name=name,
                    name_en=name_en, latitude=parent.latitude, longitude=parent.longitude, active=True)
    db.session.add(region)
    db.session.flush()
    region.set_path()
    audit.record(actor, "region.add", region, after={**audit.snapshot(region, "code", *NAMES), "parent": parent.name})
    return region


def rename_region(region: Region, *, name: str, name_en: str, actor: User) -> None:
    _rename(region, "region.rename", name, name_en, actor)


def retirement_blockers(region: Region) -> dict[str, int]:
    """What keeps ``region`` from being retired: active children, open needs, shifts not yet over."""
    inside = Region.subtree_clause
    count = db.session.scalar
    return {
        "children": sum(1 for child in region.children if child.active),
        "needs": count(sa.select(sa.func.count(Need.id)).where(inside(Need.region_id, region),
                                                                Need.status.in_(OPEN_NEEDS))),
        "shifts": count(sa.select(sa.func.count(Shift.id)).where(inside(Shift.region_id, region),
                                                                  Shift.status.not_in(FINISHED_STATUSES))),
    }


def retire_region(region: Region, *, actor: User) -> None:
    """No new resident, need, shift, account or organization is placed here from now on; existing records
    keep it. Refused while something is still going on in it, with what."""
    if not region.active:
        raise Refused(_l("%(name)s is already retired.", name=region.name))
    if region.parent is None:
        raise Refused(_l("The district itself cannot be retired."))
    blockers = retirement_blockers(region)
    if blockers["needs"] or blockers["shifts"]:
        raise Refused(_l("%(name)s cannot be retired while %(needs)s needs are still open and %(shifts)s shifts "
                         "are still to come or under way there. Close or move them first.",
                         name=region.name, needs=blockers["needs"], shifts=blockers["shifts"]))
    if blockers["children"]:
        raise Refused(_l("%(name)s still has %(n)s active regions under it: retire them first.",
                         name=region.name, n=blockers["children"]))
    _retire(region, "region.retire", actor)
