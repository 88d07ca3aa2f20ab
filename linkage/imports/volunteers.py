"""Volunteers imported from a spreadsheet by community staff: every row checked as the profile form checks it,
then written through ``register_by_staff`` (the volunteer met in person, active at once, numbered)."""
from __future__ import annotations

import re
from typing import Optional

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from linkage import settings, timeutil
from linkage.imports.services import (EXAMPLE_ID, Column, Kind, Problem, _regions_in_scope, already_registered,
                                      id_number_cell, named_items, phone_problem, region_lookup,
                                      region_problem, required_and_lengths, row_done)
from linkage.models import RegionLevel, Skill, User, Volunteer
from linkage.models.people import age_on
from linkage.skills.queries import offered_skills
from linkage.volunteers import services as volunteers

COLUMNS = (
    Column("name", _l("Full name"), True, "李明", _l("The volunteer's real name, as on the ID card.")),
    Column("id_number", _l("Resident ID number"), True, EXAMPLE_ID,
           _l("18 characters; the last is a digit or X. Volunteers must be old enough (see the settings).")),
    Column("community", _l("Community"), True, "", _l("The code or the name of a community of your area.")),
    Column("phone", _l("Phone"), False, "13900139000",
           _l("An 11-digit mobile number or a landline number with its area code.")),
    Column("skills", _l("Skills"), False, "", _l("Any of the skills below, separated by commas.")),
    Column("weekly_hours", _l("Hours a week at most"), False, "",
           _l("From 1 to 60; leave empty for the usual limit.")),
)
MAX_LENGTHS = {"name": 100, "skills": 500}


def _skill_lookup() -> dict[str, Skill]:
    names = {}
    for skill in offered_skills(certificates=False):
        names[skill.code.casefold()] = skill
        for name in {skill.name, getattr(skill, "name_en", "")} - {""}:
            names[name.casefold()] = skill
    return names


class Checker:
    def __init__(self, user: User):
        self.regions = region_lookup(user, levels=(RegionLevel.community,))
        self.skills = _skill_lookup()
        self.seen: dict[str, int] = {}
        self.today = timeutil.today()
        self.min_age = int(settings.get("MIN_VOLUNTEER_AGE"))

    def _id_number(self, number: int, text: str):
        normalized, _info, problem = id_number_cell(text, number, self.seen, rule=self._too_young)
        return normalized, problem

    def _too_young(self, info):
        if age_on(info.birth_date, self.today) < self.min_age:
            return _("Volunteers must be at least %(age)s years old.", age=self.min_age)
        return None

    def row(self, number: int, values: dict, problems: list[Problem]) -> Optional[dict]:
        found = required_and_lengths(KIND, values)
        id_number, message = self._id_number(number, values.get("id_number", ""))
        found.append(("id_number", message))
        region, message = region_problem(self.regions, values.get("community", ""))
        found.append(("community", message))
        found += phone_problem(values)
        skills, messages = named_items(values.get("skills", ""), self.skills, lambda word: _(
            "\"%(word)s\" is not one of the skills of the template.", word=word))
        found += [("skills", m) for m in messages]
        hours = None
        if values.get("weekly_hours"):
            if not re.fullmatch(r"\d{1,2}", values["weekly_hours"]) or not 1 <= int(values["weekly_hours"]) <= 60:
                found.append(("weekly_hours", _("Enter from 1 to 60 hours.")))
            else:
                hours = int(values["weekly_hours"])
        if not row_done(KIND, number, found, problems):
            return None
        return {"row": number, "data": volunteers.ProfileData(
            name=values["name"], id_number=id_number, community=region, phone=values.get("phone") or None,
            weekly_hours=hours, skills=list(dict.fromkeys(skills)))}

    def finish(self, rows: list[dict], problems: list[Problem]) -> list[dict]:
        """Rows whose ID number is already a volunteer's are reported."""
        return already_registered(KIND, rows, problems, Volunteer.id_number_index,
                                  lambda row: row["data"].id_number, volunteers.DUPLICATE_ID)


def _sample(user: User) -> dict:
    communities = _regions_in_scope(user, (RegionLevel.community,))
    skills = offered_skills(certificates=False)
    return {"community": communities[0].code if communities else "",
            "skills": skills[0].display_name() if skills else ""}


def _notes() -> list:
    return [(_("Skills"), "、".join(s.display_name() for s in offered_skills(certificates=False)))]


KIND = Kind(code="volunteers", columns=COLUMNS, max_lengths=MAX_LENGTHS, checker=Checker,
            write=lambda arguments, actor: volunteers.register_by_staff(arguments["data"], actor=actor,
                                                                        today=timeutil.today()),
            sample=_sample, notes=_notes, sheet_title=_l("Volunteers"), event="volunteer.import")
