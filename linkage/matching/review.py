"""What the review screen shows of a run: names for the solver's ids, reasons in words, coverage."""
from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from linkage.extensions import db
from linkage.matching.reasons import render
from linkage.models import (Bid, MatchKind, MatchRun, Need, Organization, Project, Resident, Shift, Skill,
                            SocialWorker, Volunteer)
from linkage.timeutil import to_local


@dataclass
class Review:
    names: dict
    rows: list = field(default_factory=list)          # proposed pairings
    groups: list = field(default_factory=list)        # per shift / project: (title, rows)
    unfilled: list = field(default_factory=list)      # (title, missing, [reasons])
    coverage: list = field(default_factory=list)      # (urgency, ours, baseline, total)
    left_options: list = field(default_factory=list)
    right_options: list = field(default_factory=list)
    overrides: list = field(default_factory=list)


def _ids(problem: dict, key: str) -> list[int]:
    return [int(item["id"][1:]) for item in problem.get(key, [])]


def _names(run: MatchRun) -> dict:
    problem, names = run.problem or {}, {}
    if run.kind == MatchKind.shifts:
        for v_id, name in db.session.execute(sa.select(Volunteer.id, Volunteer.name).where(
                Volunteer.id.in_(_ids(problem, "volunteers") or [0]))):
            names[f"v{v_id}"] = name
        for shift in db.session.scalars(sa.select(Shift).where(Shift.id.in_(_ids(problem, "shifts") or [0]))):
            names[f"s{shift.id}"] = f"{shift.title} ({to_local(shift.start):%m-%d %H:%M})"
        residents = {r[1:] for s in problem.get("shifts", []) for r in s.get("residents", [])}
        for r_id, name in db.session.execute(sa.select(Resident.id, Resident.name).where(
                Resident.id.in_([int(r) for r in residents] or [0]))):
            names[f"r{r_id}"] = name
        for code, name, name_en in db.session.execute(sa.select(Skill.code, Skill.name, Skill.name_en)):
            names[code] = name
    elif run.kind == MatchKind.award:
        for project_id, title in db.session.execute(sa.select(Project.id, Project.title).where(
                Project.id.in_(_ids(problem, "projects") or [0]))):
            names[f"p{project_id}"] = title
        for bid_id, org_name in db.session.execute(
                sa.select(Bid.id, Organization.name).join(Organization, Organization.id == Bid.organization_id)
                .where(Bid.id.in_(_ids(problem, "bids") or [0]))):
            names[f"b{bid_id}"] = org_name
        for org_id, name in db.session.execute(sa.select(Organization.id, Organization.name).where(
                Organization.id.in_(_ids(problem, "organizations") or [0]))):
            names[f"o{org_id}"] = name
    else:
        for need_id, title in db.session.execute(sa.select(Need.id, Need.title).where(
                Need.id.in_(_ids(problem, "needs") or [0]))):
            names[f"n{need_id}"] = title
        for worker_id, name in db.session.execute(sa.select(SocialWorker.id, SocialWorker.name).where(
                SocialWorker.id.in_(_ids(problem, "workers") or [0]))):
            names[f"w{worker_id}"] = name
    return names


def _words(kind: str, item: dict, names: dict) -> list[str]:
    return [render(kind, code, names) for code in item.get("reason_codes", [])]


def review_of(run: MatchRun) -> Review:
    names = _names(run)
    review = Review(names=names, overrides=list(run.overrides))
    result, kind = run.result or {}, run.kind.value
    if run.kind == MatchKind.shifts:
        by_shift: dict[str, list] = {}
        for item in result.get("assignments", []):
            row = {"left": item["volunteer"], "right": item["shift"], "left_name": names.get(item["volunteer"]),
                   "right_name": names.get(item["shift"]), "slot": item.get("slot"), "reasons": _words(kind, item, names)}
            review.rows.append(row)
            by_shift.setdefault(item["shift"], []).append(row)
        review.groups = [(names.get(key, key), rows) for key, rows in sorted(by_shift.items(), key=lambda kv: kv[0])]
        for item in result.get("unfilled", []):
            review.unfilled.append((names.get(item["shift"], item["shift"]), item.get("missing"), _words(kind, item, names)))
        for shift_id in result.get("unstaffed", []):
            review.unfilled.append((names.get(shift_id, shift_id), None, []))
        ours = (result.get("stats") or {}).get("coverage_by_urgency", {})
        theirs = (run.baseline or {}).get("coverage_by_urgency", {})
        for level in ("4", "3", "2", "1"):
            if level in ours or level in theirs:
                filled, total = ours.get(level, [0, 0])
                review.coverage.append((level, filled, theirs.get(level, [0, 0])[0], total))
        review.left_options = [(v["id"], names.get(v["id"], v["id"])) for v in run.problem.get("volunteers", [])]
        review.right_options = [(s["id"], names.get(s["id"], s["id"])) for s in run.problem.get("shifts", [])]
    elif run.kind == MatchKind.award:
        for item in result.get("awards", []):
            row = {"left": item["bid"], "right": item["project"], "left_name": names.get(item["bid"]),
                   "right_name": names.get(item["project"]), "price": item.get("price"), "score": item.get("score"),
                   "reasons": _words(kind, item, names)}
            review.rows.append(row)
            review.groups.append((names.get(item["project"]), [row]))
        for item in result.get("unawarded", []):
            review.unfilled.append((names.get(item["project"], item["project"]), None, _words(kind, item, names)))
        review.left_options = [(b["id"], f"{names.get(b['id'], b['id'])} → {names.get(b['project'], b['project'])}")
                               for b in run.problem.get("bids", [])]
        review.right_options = [(p["id"], names.get(p["id"], p["id"])) for p in run.problem.get("projects", [])]
    else:
        for item in result.get("assignments", []):
            review.rows.append({"left": item["need"], "right": item["worker"], "left_name": names.get(item["need"]),
                                "right_name": names.get(item["worker"]), "reasons": _words(kind, item, names)})
        for item in result.get("unassigned", []):
            review.unfilled.append((names.get(item["need"], item["need"]), None, _words(kind, item, names)))
        review.left_options = [(n["id"], names.get(n["id"], n["id"])) for n in run.problem.get("needs", [])]
        review.right_options = [(w["id"], names.get(w["id"], w["id"])) for w in run.problem.get("workers", [])]
    return review
