"""Volunteers imported from a spreadsheet by community staff: every row checked as the profile form checks it,
then written through ``register_by_staff`` (the volunteer met in person, active at once, numbered)."""
from __future__ import annotations

import re
from typing import Optional

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from linkage import settings, timeutil
from linkage.community import services as community
from linkage.extensions import db
from linkage.imports.services import (EXAMPLE_ID, Column, Kind, Problem, _regions_in_scope, region_problem,
                                      required_and_lengths)
from linkage.models import RegionLevel, Skill, User, Volunteer
from linkage.models.people import age_on
from linkage.security import blind_index
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


def _skills() -> list[Skill]:
    """The skills a volunteer may name themself (certificates are checked by staff one by one)."""
    return list(db.session.scalars(sa.select(Skill).where(Skill.active, Skill.is_certificate.is_(False))
                                   .order_by(Skill.code)))


def _skill_lookup() -> dict[str, Skill]:
    names = {}
    for skill in _skills():
        names[skill.code.casefold()] = skill
        for name in {skill.name, getattr(skill, "name_en", "")} - {""}:
            names[name.casefold()] = skill
    return names


class Checker:
    def __init__(self, user: User):
        self.regions = {}
        for region in _regions_in_scope(user):
            if region.level != RegionLevel.community:
                continue
            for name in {region.name, region.name_en} - {""}:
                self.regions[name.casefold()] = None if name.casefold() in self.regions else region
        for region in _regions_in_scope(user):
            if region.level == RegionLevel.community:
                self.regions[region.code.casefold()] = region
        self.skills = _skill_lookup()
        self.headers = {c.key: str(c.header) for c in COLUMNS}
        self.seen: dict[str, int] = {}
        self.today = timeutil.today()
        self.min_age = int(settings.get("MIN_VOLUNTEER_AGE"))

    def _id_number(self, number: int, text: str):
        normalized = community.normalize_id_number(text)
        if not normalized:
            return normalized, None
        info, problem = community.check_id_number(normalized)
        if normalized == EXAMPLE_ID:
            return normalized, _("This is the template's example row: replace it or delete it.")
        if problem:
            return normalized, community.ID_NUMBER_PROBLEMS[problem]
        if age_on(info.birth_date, self.today) < self.min_age:
            return normalized, _("Volunteers must be at least %(age)s years old.", age=self.min_age)
        if normalized in self.seen:
            return normalized, _("The same ID number is already in row %(row)s of this file.",
                                 row=self.seen[normalized])
        self.seen[normalized] = number
        return normalized, None

    def row(self, number: int, values: dict, problems: list[Problem]) -> Optional[dict]:
        found = required_and_lengths(KIND, values)
        id_number, message = self._id_number(number, values.get("id_number", ""))
        found.append(("id_number", message))
        region, message = region_problem(self.regions, values.get("community", ""))
        found.append(("community", message))
        if values.get("phone") and not re.match(community.PHONE_PATTERN, values["phone"]):
            found.append(("phone", community.PHONE_PROBLEM))
        skills = []
        for word in (w.strip() for w in re.split(r"[,，、;；]", values.get("skills", ""))):
            if word and word.casefold() not in self.skills:
                found.append(("skills", _("\"%(word)s\" is not one of the skills of the template.", word=word)))
            elif word:
                skills.append(self.skills[word.casefold()])
        hours = None
        if values.get("weekly_hours"):
            if not re.fullmatch(r"\d{1,2}", values["weekly_hours"]) or not 1 <= int(values["weekly_hours"]) <= 60:
                found.append(("weekly_hours", _("Enter from 1 to 60 hours.")))
            else:
                hours = int(values["weekly_hours"])
        found = [(key, message) for key, message in found if message]
        problems += [Problem(number, self.headers[key], str(message)) for key, message in found]
        if found:
            return None
        return {"row": number, "data": volunteers.ProfileData(
            name=values["name"], id_number=id_number, community=region, phone=values.get("phone") or None,
            weekly_hours=hours, skills=list(dict.fromkeys(skills)))}

    def finish(self, rows: list[dict], problems: list[Problem]) -> list[dict]:
        """Rows whose ID number is already a volunteer's are reported (one query per thousand rows)."""
        by_index = {blind_index(row["data"].id_number): row for row in rows}
        indexes = list(by_index)
        taken = set()
        for start in range(0, len(indexes), 1000):
            taken |= set(db.session.scalars(sa.select(Volunteer.id_number_index).where(
                Volunteer.id_number_index.in_(indexes[start:start + 1000]))))
        for index in taken:
            problems.append(Problem(by_index[index]["row"], self.headers["id_number"],
                                    str(volunteers.DUPLICATE_ID)))
        return [row for row in rows if blind_index(row["data"].id_number) not in taken]


def _sample(user: User) -> dict:
    communities = [r for r in _regions_in_scope(user) if r.level == RegionLevel.community]
    skills = _skills()
    return {"community": communities[0].code if communities else "",
            "skills": skills[0].display_name() if skills else ""}


def _notes() -> list:
    return [(_("Skills"), "、".join(s.display_name() for s in _skills()))]


KIND = Kind(code="volunteers", columns=COLUMNS, max_lengths=MAX_LENGTHS, checker=Checker,
            write=lambda arguments, actor: volunteers.register_by_staff(arguments["data"], actor=actor,
                                                                        today=timeutil.today()),
            sample=_sample, notes=_notes, sheet_title=_l("Volunteers"), event="volunteer.import")
