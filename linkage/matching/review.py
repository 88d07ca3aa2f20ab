"""What the review screen shows of a run, in the reader's language: names, titles and dates for the
solver's ids, reasons in words, coverage, the pickers for staff decisions, and why a run stopped.

Nothing here shows a solver id (v12, s5, …), a reason code or a raw time: every id becomes the name
or title it stands for, every time is formatted by Babel in the reader's language and time zone.
"""
from __future__ import annotations

from dataclasses import dataclass, field
import sqlalchemy as sa
from flask_babel import format_decimal, get_locale, gettext as _, lazy_gettext as _l
from sqlalchemy.orm import selectinload

from linkage.extensions import db
from linkage.formats import money
from linkage.matching import services
from linkage.matching.reasons import render, when
from linkage.models import (Bid, Category, MatchKind, MatchRun, MatchStatus, Need, Organization, Project, Region,
                            Resident, Shift, Skill, SocialWorker, User, Volunteer)
from linkage.projects.access import bidding_sealed
from linkage.shifts.eligibility import Reason
from linkage.timeutil import now

# What a failed run's short error code means, for the reader.
ERRORS = {
    services.SOLVER_ERROR: _l("The optimizer stopped with an error; nothing was applied. Try again; if it happens "
                              "again, tell the system administrator (the details are in the server log)."),
    services.NO_SOLUTION: _l("The optimizer found no proposal within the time limit; nothing was applied. "
                             "Re-run with a longer time limit."),
    services.WORKER_STOPPED: _l("The background worker stopped responding; nothing was applied. Re-run it."),
}
UNKNOWN_ERROR = _l("The run failed; nothing was applied. Re-run it.")

COLUMNS = {
    MatchKind.shifts: (_l("Volunteer"), _l("Shift"), _l("When"), _l("Place")),
    MatchKind.award: (_l("Project"), _l("Bid (organization)"), _l("Price"), _l("Score")),
    MatchKind.cases: (_l("Need"), _l("Resident's community"), _l("Social worker"), _l("Organization")),
}


@dataclass
class Review:
    names: dict                                        # solver id -> the name or title it stands for
    columns: tuple = ()                                # headings of the proposal's columns (before "Why")
    rows: list = field(default_factory=list)           # proposed pairings: left/right row ids, cells, reasons
    groups: list = field(default_factory=list)         # per shift: (title, rows)
    unfilled: list = field(default_factory=list)       # (title, missing, [reasons])
    coverage: list = field(default_factory=list)       # (urgency, ours, baseline, total)
    award_comparison: tuple = ()                       # projects awarded and total score: ours, first come
    left_options: list = field(default_factory=list)   # pickers: (row id, label)
    right_options: list = field(default_factory=list)
    decisions: list = field(default_factory=list)      # staff decisions: (action label, pairing, by, reason)
    conflicts: list = field(default_factory=list)      # infeasible: sentences naming what conflicts
    held_conflicts: list = field(default_factory=list)  # places people hold that break a rule: for staff
    changes: dict = field(default_factory=lambda: {"added": [], "removed": []})
    fairness: dict | None = None                       # the run's fairness options, coverage, hours and price


def error_text(run: MatchRun) -> str:
    """Why a run failed, as a sentence in the reader's language (never the stored details)."""
    return str(ERRORS.get(run.error, UNKNOWN_ERROR))


def _row_id(solver_id: str) -> int:
    """The row id behind a solver id (v12 -> 12); 0, which no row has, for anything else."""
    digits = str(solver_id)[1:]
    return int(digits) if digits.isdigit() else 0


def _ids(problems: list[dict], key: str) -> list[int]:
    return sorted({_row_id(item["id"]) for problem in problems for item in problem.get(key, [])}) or [0]


class _Labels:
    """Names (short, for reasons and tables) and longer picker labels for the ids of one or more problems."""

    def __init__(self, kind: MatchKind, problems: list[dict]):
        self.kind, self.names, self.long, self.details = kind, {}, {}, {}
        locale = str(get_locale() or "zh_CN")
        if kind == MatchKind.shifts:
            self._shifts(problems, locale)
        elif kind == MatchKind.award:
            self._award(problems)
        else:
            self._cases(problems, locale)

    def _shifts(self, problems, locale):
        for volunteer in db.session.scalars(sa.select(Volunteer).options(selectinload(Volunteer.region))
                                            .where(Volunteer.id.in_(_ids(problems, "volunteers")))):
            key = f"v{volunteer.id}"
            self.names[key] = volunteer.name
            self.long[key] = f"{volunteer.name} · {volunteer.region.name}"
        for shift in db.session.scalars(sa.select(Shift).options(selectinload(Shift.region))
                                        .where(Shift.id.in_(_ids(problems, "shifts")))):
            key, window = f"s{shift.id}", when(shift.start, shift.end)
            self.names[key] = f"{shift.title} ({window})"
            self.long[key] = f"{shift.title} · {window} · {shift.region.name}"
            self.details[key] = (shift.title, window, shift.place or shift.region.name)
        self._residents({_row_id(r) for problem in problems for shift in problem.get("shifts", [])
                          for r in shift.get("residents", [])})
        for skill in db.session.scalars(sa.select(Skill)):
            self.names[skill.code] = skill.display_name(locale)

    def _award(self, problems):
        projects = {p.id: p for p in db.session.scalars(sa.select(Project).where(
            Project.id.in_(_ids(problems, "projects"))))}
        budget, at = _("Budget"), now()
        for project in projects.values():
            self.names[f"p{project.id}"] = project.title
            self.long[f"p{project.id}"] = f"{project.title} · {budget} {money(project.budget)}"
        for bid in db.session.scalars(sa.select(Bid).options(selectinload(Bid.organization), selectinload(Bid.project))
                                      .where(Bid.id.in_(_ids(problems, "bids")))):
            key = f"b{bid.id}"
            self.names[key] = _("the bid of %(organization)s", organization=bid.organization.name)
            # Only scored bids compete, and scores come after the deadline; the seal holds regardless.
            price = _("Sealed") if bidding_sealed(bid.project, at) else money(bid.price)
            self.long[key] = f"{bid.organization.name} · {price} → {bid.project.title}"
            self.details[key] = (bid.organization.name, price)
        for organization in db.session.scalars(sa.select(Organization).where(
                Organization.id.in_(_ids(problems, "organizations")))):
            self.names[f"o{organization.id}"] = organization.name

    def _cases(self, problems, locale):
        for need in db.session.scalars(sa.select(Need).options(selectinload(Need.region))
                                       .where(Need.id.in_(_ids(problems, "needs")))):
            key = f"n{need.id}"
            self.names[key] = need.title
            self.long[key] = f"{need.title} · {need.region.name}"
            self.details[key] = (need.title, need.region.name)
        for worker in db.session.scalars(sa.select(SocialWorker).options(selectinload(SocialWorker.organization))
                                         .where(SocialWorker.id.in_(_ids(problems, "workers")))):
            key = f"w{worker.id}"
            self.names[key] = worker.name
            self.long[key] = f"{worker.name} · {worker.organization.name} · {worker.level.label}"
            self.details[key] = (worker.name, worker.organization.name)
        self._residents({_row_id(n["resident"]) for problem in problems for n in problem.get("needs", [])
                         if n.get("resident")})
        for sector in db.session.scalars(sa.select(Category).where(Category.level == 1)):
            self.names[sector.code] = sector.display_name(locale)

    def _residents(self, ids):
        for resident_id, name in db.session.execute(sa.select(Resident.id, Resident.name).where(
                Resident.id.in_(sorted(ids) or [0]))):
            self.names[f"r{resident_id}"] = name

    def name(self, solver_id: str) -> str:
        return self.names.get(solver_id) or _("(no longer listed)")


def _deciders(run: MatchRun) -> dict:
    """Who made each of the run's staff decisions: user id -> display name."""
    return {u.id: u.display_name for u in db.session.scalars(sa.select(User).where(
        User.id.in_({o.created_by_id for o in run.overrides if o.created_by_id} or {0})))}


def _pin_labels(run: MatchRun, people: dict) -> dict:
    """For each staff pin of the run: 'pinned by <name>: <reason>'."""
    return {(o.left, o.right): _("pinned by %(who)s: %(reason)s", who=people.get(o.created_by_id) or _("staff"),
                                 reason=o.reason)
            for o in run.overrides if o.action == "pin"}


def _reasons(run: MatchRun, item: dict, pair: tuple, labels: _Labels, staff_pins: dict) -> list[str]:
    """The reasons for one pairing; a pin says whose decision it was: staff's, or the volunteer's own place."""
    words = []
    for code in item.get("reason_codes", []):
        if code.get("code") == "pinned":
            params = code.get("params") or {}
            notes = [str(note) for flag, note in (("outside_availability", _l("outside the times they gave as free")),
                                                  ("beyond_travel_limit", _l("beyond their travel limit")))
                     if params.get(flag)]
            origin = staff_pins.get(pair) or _("their own sign-up (kept)")
            words.append(_("%(origin)s (%(notes)s)", origin=origin, notes=_("; ").join(notes)) if notes else origin)
        else:
            words.append(render(run.kind.value, code, labels.names))
    return [w for w in words if w]


def review_of(run: MatchRun) -> Review:
    """Everything the run page shows about the run's problem and result."""
    problem, result = run.problem or {}, run.result or {}
    parent = db.session.get(MatchRun, run.parent_id) if run.parent_id else None
    labels = _Labels(run.kind, [problem] + ([parent.problem] if parent is not None and parent.problem else []))
    people = _deciders(run)
    staff_pins = _pin_labels(run, people)
    review = Review(names=labels.names, columns=COLUMNS[run.kind])
    review.held_conflicts = [
        (labels.name(f"v{c['volunteer']}"), labels.name(f"s{c['shift']}"), Reason.from_dict(c["reason"]).text())
        for c in (run.inputs or {}).get("conflicts", [])]
    kind = run.kind.value
    if run.kind == MatchKind.shifts:
        by_shift: dict[str, list] = {}
        for item in result.get("assignments", []):
            pair = (item["volunteer"], item["shift"])
            title, window, place = labels.details.get(item["shift"], (labels.name(item["shift"]), "", ""))
            row = {"left": _row_id(pair[0]), "right": _row_id(pair[1]),
                   "cells": [labels.name(pair[0]), title, window, place],
                   "reasons": _reasons(run, item, pair, labels, staff_pins)}
            review.rows.append(row)
            by_shift.setdefault(item["shift"], []).append(row)
        review.groups = [(labels.name(key), rows) for key, rows in by_shift.items()]
        for item in result.get("unfilled", []):
            review.unfilled.append((labels.name(item["shift"]), item.get("missing"),
                                    [w for w in (render(kind, c, labels.names) for c in item.get("reason_codes", []))
                                     if w]))
        for shift_id in result.get("unstaffed", []):
            review.unfilled.append((labels.name(shift_id), None, []))
    elif run.kind == MatchKind.award:
        for item in result.get("awards", []):
            pair = (item["bid"], item["project"])
            organization, price = labels.details.get(item["bid"], (labels.name(item["bid"]), ""))
            score = item.get("score")
            row = {"left": _row_id(pair[0]), "right": _row_id(pair[1]),
                   "cells": [labels.name(pair[1]), organization, price,
                             format_decimal(score / 100, "#,##0.00") if isinstance(score, int) else "—"],
                   "reasons": _reasons(run, item, pair, labels, staff_pins)}
            review.rows.append(row)
        for item in result.get("unawarded", []):
            review.unfilled.append((labels.name(item["project"]), None,
                                    [w for w in (render(kind, c, labels.names) for c in item.get("reason_codes", []))
                                     if w]))
    else:
        for item in result.get("assignments", []):
            pair = (item["need"], item["worker"])
            need, community = labels.details.get(item["need"], (labels.name(item["need"]), ""))
            worker, organization = labels.details.get(item["worker"], (labels.name(item["worker"]), ""))
            review.rows.append({"left": _row_id(pair[0]), "right": _row_id(pair[1]),
                                "cells": [need, community, worker, organization],
                                "reasons": _reasons(run, item, pair, labels, staff_pins)})
        for item in result.get("unassigned", []):
            review.unfilled.append((labels.name(item["need"]), None,
                                    [w for w in (render(kind, c, labels.names) for c in item.get("reason_codes", []))
                                     if w]))
    review.coverage = _coverage(result, run.baseline or {})
    if run.kind == MatchKind.shifts:
        review.fairness = _fairness(run, labels)
    if run.kind == MatchKind.award and run.baseline:
        stats = result.get("stats") or {}
        review.award_comparison = (stats.get("awarded"), run.baseline.get("awarded"),
                                   _points(stats.get("total_score")), _points(run.baseline.get("total_score")))
    (left_list, _lp), (right_list, _rp) = services.SIDES[run.kind]
    review.left_options = sorted(((_row_id(i["id"]), labels.long.get(i["id"], labels.name(i["id"])))
                                  for i in problem.get(left_list, [])), key=lambda option: option[1])
    review.right_options = [(_row_id(i["id"]), labels.long.get(i["id"], labels.name(i["id"])))
                            for i in problem.get(right_list, [])]
    if run.kind != MatchKind.shifts:
        review.right_options.sort(key=lambda option: option[1])
    review.decisions = [(_("Pin") if o.action == "pin" else _("Forbid"),
                         f"{labels.name(o.left)} → {labels.name(o.right)}", people.get(o.created_by_id, ""), o.reason)
                        for o in run.overrides]
    if run.status == MatchStatus.infeasible:
        review.conflicts = _conflicts(run, labels, staff_pins)
    changes = services.changes_from_parent(run)
    review.changes = {key: [f"{labels.name(left)} → {labels.name(right)}" for left, right in pairs]
                      for key, pairs in changes.items()}
    return review


def _coverage(result: dict, baseline: dict) -> list:
    """(urgency, filled by the optimizer, filled first come first served, total), most urgent first."""
    ours = (result.get("stats") or {}).get("coverage_by_urgency", {})
    theirs = baseline.get("coverage_by_urgency", {})
    rows = []
    for level in ("4", "3", "2", "1"):
        if level in ours or level in theirs:
            filled, total = ours.get(level, [0, 0])
            rows.append((level, filled, theirs.get(level, [0, 0])[0], total))
    return rows


def _points(hundredths) -> str:
    return format_decimal(hundredths / 100, "#,##0.00") if isinstance(hundredths, int) else "—"


def _conflicts(run: MatchRun, labels: _Labels, staff_pins: dict) -> list[str]:
    """Which decisions cannot all hold, by name: staff pins with who made them, and people's own places."""
    result = run.result or {}
    if run.kind == MatchKind.award:
        sentences, separator = [], _("; ")
        by_bid = {left: label for (left, _right), label in staff_pins.items()}
        for conflict in result.get("conflicts", []):
            why = separator.join(w for w in (render("award", c, labels.names)
                                             for c in conflict.get("reason_codes", [])) if w)
            who = separator.join(f"{labels.name(bid)} — {by_bid[bid]}" if bid in by_bid else labels.name(bid)
                                 for bid in conflict.get("pins", []))
            sentences.append(f"{why} ({who})" if who else why)
        return sentences
    sentences = []
    for left, right in result.get("conflicting_pins", []):
        pairing = f"{labels.name(left)} → {labels.name(right)}"
        origin = staff_pins.get((left, right)) or _("their own sign-up (kept)")
        sentences.append(f"{pairing} — {origin}")
    return sentences



def _percent(share) -> str:
    return f"{format_decimal(float(share) * 100, '#,##0.#')}%"


def _hours(minutes) -> str:
    return format_decimal((minutes or 0) / 60, "#,##0.#")


def _fairness(run: MatchRun, labels: _Labels) -> dict | None:
    """The fairness part of the review: the options asked for, each community's urgent coverage against the
    floor, how the hours are spread, and the price of fairness in words; None for a run without options."""
    report = (run.result or {}).get("fairness")
    options = run.fairness or (report or {}).get("options")
    if not options:
        return None
    asked = []
    if options.get("urgent_floor") is not None:
        asked.append(_("each community's urgent places (urgency %(level)s and above) filled to at least %(share)s",
                       level=options.get("urgent_from", 3), share=_percent(options["urgent_floor"])))
    if options.get("hours_cap") is not None:
        asked.append(_("no volunteer carries more than %(share)s of the week's hours", share=_percent(options["hours_cap"])))
    if options.get("spread"):
        asked.append(_("hours spread as evenly as possible"))
    view = {"asked": asked, "communities": [], "hours": [], "price": "", "unmet": 0}
    if not report or not report.get("price"):
        return view
    ids = [_row_id(row["community"]) for row in report.get("communities", [])]
    names = {f"c{region_id}": name for region_id, name in db.session.execute(
        sa.select(Region.id, Region.name).where(Region.id.in_(ids or [0])))}
    unmet = {row["community"]: row for row in report.get("floor_unmet", [])}
    for row in report.get("communities", []):
        why = [w for w in (render("shifts", c, labels.names)
                           for c in unmet.get(row["community"], {}).get("reason_codes", [])) if w]
        view["communities"].append({
            "name": names.get(row["community"], _("(no longer listed)")), "places": row["urgent_places"],
            "filled": row["urgent_filled"], "share": _percent(row["share"]), "required": row.get("required"),
            "met": row.get("met"), "why": why})
    view["unmet"] = len(unmet)
    for label, hours in ((_("With the fairness options"), report.get("hours") or {}),
                         (_("Without them"), report.get("hours_without") or {})):
        view["hours"].append((label, hours.get("volunteers", 0), _hours(hours.get("total_minutes")),
                              _hours(hours.get("max_minutes")), _hours(hours.get("min_minutes")),
                              _percent(hours.get("max_share", 0))))
    price = report["price"]
    if price["price"] <= 0:
        view["price"] = _("Fairness costs nothing here: the plan with these options scores %(score)s, as much as "
                          "the plan without them (%(without)s).", score=price["objective_with"],
                          without=price["objective_without"])
    else:
        view["price"] = _("The price of fairness: without these options the plan would score %(without)s; with them it "
                          "scores %(score)s, %(price)s points (%(share)s) less.", without=price["objective_without"],
                          score=price["objective_with"], price=price["price"], share=_percent(price.get("share", 0)))
    return view
