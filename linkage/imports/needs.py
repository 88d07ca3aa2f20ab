"""Needs imported from a spreadsheet by community staff: each row names a resident of their area by ID
number and is checked as the need form checks it, then filed through ``submit_need`` (channel: imported),
with the consent to share it the form asks for."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from linkage import timeutil
from linkage.community.access import visible_residents
from linkage.extensions import db
from linkage.imports.services import (EXAMPLE_ID, Column, Kind, Problem, consent_problem, id_number_cell,
                                      label_lookup, name_lookup, named_one, required_and_lengths,
                                      row_done)
from linkage.models import Category, Recurrence, Resident, User
from linkage.needs import services as needs
from linkage.security import blind_index
from linkage.timeutil import local_to_utc

COLUMNS = (
    Column("id_number", _l("Resident's ID number"), True, EXAMPLE_ID,
           _l("The ID number of a resident registered in your area.")),
    Column("category", _l("Kind of service"), True, "", _l("The code or the name of a category, as listed below.")),
    Column("title", _l("What is needed, in a few words"), True, "每周上门陪伴聊天", _l("At most 200 characters.")),
    Column("description", _l("Details"), False, "", _l("Who, where, how often.")),
    Column("urgency", _l("Urgency"), False, "2", _l("1 routine, 2 soon, 3 urgent, 4 critical; empty: 2.")),
    Column("window_start", _l("From"), False, "", _l("A date as 2026-12-31, or with a time: 2026-12-31 09:00.")),
    Column("window_end", _l("Until"), False, "", _l("A date as 2026-12-31, or with a time: 2026-12-31 11:00.")),
    Column("recurrence", _l("How often"), False, "", _l("Once, weekly, every two weeks or monthly; empty: once.")),
    Column("consent", _l("Consent to share given"), True, "是",
           _l("\"Yes\" once the resident agreed that the request be shared with those who serve it.")),
)
MAX_LENGTHS = {"title": 200, "description": 4000}
DATE_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d", "%Y/%m/%d %H:%M", "%Y/%m/%d", "%Y-%m-%d %H:%M:%S")
BAD_DATE = _l("Write a date as 2026-12-31, or with a time as 2026-12-31 09:00.")


def _categories() -> list[Category]:
    return list(db.session.scalars(sa.select(Category).where(Category.active.is_(True)).order_by(Category.code)))


def _when(text: str, end: bool):
    """The aware UTC time a cell names (a date alone: the start or the end of that day), or a problem."""
    for pattern in DATE_FORMATS:
        try:
            moment = datetime.strptime(text, pattern)
        except ValueError:
            continue
        if "%H" not in pattern and end:
            moment = moment.replace(hour=23, minute=59)
        return local_to_utc(moment), None
    return None, BAD_DATE


class Checker:
    def __init__(self, user: User):
        self.residents = dict(db.session.execute(
            sa.select(Resident.id_number_index, Resident.id).where(visible_residents(user),
                                                                   Resident.id_number_index.is_not(None))).all())
        self.categories = name_lookup(_categories())
        self.recurrences = label_lookup(Recurrence)
        self.now = timeutil.now()

    def _resident(self, number: int, text: str):
        id_number, _info, problem = id_number_cell(text, number)
        if not id_number or problem:
            return None, problem
        resident_id = self.residents.get(blind_index(id_number))
        if resident_id is None:
            return None, _("No resident of your area has this ID number: register the resident first.")
        return resident_id, None

    def _category(self, text: str):
        return named_one(self.categories, text, lambda: _("Two categories have this name: write its code instead."),
                         lambda: _("\"%(name)s\" is not a category of the service taxonomy.", name=text))

    def row(self, number: int, values: dict, problems: list[Problem]) -> Optional[dict]:
        found = required_and_lengths(KIND, values)
        resident_id, message = self._resident(number, values.get("id_number", ""))
        found.append(("id_number", message))
        category, message = self._category(values.get("category", ""))
        found.append(("category", message))
        urgency = 2
        if values.get("urgency"):
            if values["urgency"] not in {"1", "2", "3", "4"}:
                found.append(("urgency", _("Choose an urgency from 1 to 4.")))
            else:
                urgency = int(values["urgency"])
        start = end = None
        if values.get("window_start"):
            start, message = _when(values["window_start"], end=False)
            found.append(("window_start", message))
        if values.get("window_end"):
            end, message = _when(values["window_end"], end=True)
            found.append(("window_end", message))
            if end and start and end <= start:
                found.append(("window_end", _("The end of the time window must come after its start.")))
            elif end and end <= self.now:
                found.append(("window_end", _("This time window has already ended.")))
        recurrence = Recurrence.once
        if values.get("recurrence"):
            recurrence = self.recurrences.get(values["recurrence"].casefold())
            if recurrence is None:
                found.append(("recurrence", _("Write once, weekly, every two weeks or monthly.")))
        found += consent_problem(values, _("Write \"Yes\" once the resident has agreed; without consent no "
                                           "request is filed."))
        if not row_done(KIND, number, found, problems):
            return None
        return {"row": number, "resident_id": resident_id, "category": category, "title": values["title"],
                "description": values.get("description", ""), "urgency": urgency, "window_start": start,
                "window_end": end, "recurrence": recurrence}

    def finish(self, rows: list[dict], problems: list[Problem]) -> list[dict]:
        return rows


def _write(arguments: dict, actor: User):
    resident = db.session.get(Resident, arguments.pop("resident_id"))
    return needs.submit_need(resident, actor=actor, consent=True, imported=True, **arguments)


def _sample(user: User) -> dict:
    categories = [c for c in _categories() if c.parent_id is not None]
    return {"category": categories[0].code if categories else ""}


def _notes() -> list:
    return [(_("Kind of service"), "、".join(f"{c.code} {c.display_name()}" for c in _categories()
                                            if c.parent_id is not None))]


KIND = Kind(code="needs", columns=COLUMNS, max_lengths=MAX_LENGTHS, checker=Checker, write=_write,
            sample=_sample, notes=_notes, sheet_title=_l("Needs"), event="need.import")
