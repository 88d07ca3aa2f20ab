"""Match runs: build a problem from the database, solve it in the background, review, approve.

A run's life: queued → running → proposed → approved | rejected, or failed / infeasible. The
solve happens outside any database transaction (read, close, solve, write in a new one); the
approval applies the whole proposal in one transaction or nothing.
"""
from __future__ import annotations

import os
import threading
from datetime import datetime, timedelta
from typing import Optional

import sqlalchemy as sa
from flask import current_app
from flask_babel import format_date, lazy_gettext as _l

from matching import baseline
from matching.award import parse_award_problem, solve_award
from matching.errors import BadInput
from matching.fairness import parse_fairness
from matching.cases import parse_case_problem, solve_cases
from matching.shifts import parse_shift_problem, solve_shifts
from matching.split import merge_results, split_problem

from linkage import audit, jobs, settings
from linkage.auth.access import can_see_region
from linkage.errors import Refused
from linkage.extensions import db
from linkage.matching import problems
from linkage.matching.access import can_run
from linkage.models import (Bid, MatchKind, MatchOverride, MatchRun, MatchRunPart, MatchStatus, Need, NeedStatus,
                            Project, Region, RegionLevel, Role, Shift, ShiftStatus, SocialWorker, User)
from linkage.models.types import utcnow
from linkage.notifications import link, notify
from linkage.operations import metrics
from linkage.shifts.places import apply_plan, lock_shift
from linkage.timeutil import to_local

FINISHED = (MatchStatus.proposed, MatchStatus.approved, MatchStatus.rejected, MatchStatus.failed,
            MatchStatus.infeasible)
_RUN_FIELDS = ("status", "objective", "bound")

# Why a run failed, stored on the run as a short code; the run page says it in the reader's language.
SOLVER_ERROR = "solver_error"          # the optimizer stopped with an error (logged with its traceback)
NO_SOLUTION = "no_solution_in_time"    # no solution within the time limit
WORKER_STOPPED = "worker_stopped"      # the background worker stopped responding

# Per kind: the problem's lists of left and right items, and the prefix of their ids in the problem.
SIDES = {MatchKind.shifts: (("volunteers", "v"), ("shifts", "s")),
         MatchKind.award: (("bids", "b"), ("projects", "p")),
         MatchKind.cases: (("needs", "n"), ("workers", "w"))}


def fairness_options(kind: MatchKind, *, urgent_floor=None, urgent_from=3, hours_cap=None, spread=False
                     ) -> Optional[dict]:
    """The fairness options of a run as the optimizer reads them (shares 0–1), from percentages as staff enter
    them; None when none is asked for. Refused, naming the field, when out of range or not a volunteer run."""
    if urgent_floor is None and hours_cap is None and not spread:
        return None
    if kind != MatchKind.shifts:
        raise Refused(_l("Fairness options apply to volunteer runs only."), field="urgent_floor")
    for name, value in (("urgent_floor", urgent_floor), ("hours_cap", hours_cap)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 100):
            raise Refused(_l("Enter a whole percentage from 1 to 100."), field=name)
    if urgent_from not in (2, 3, 4):
        raise Refused(_l("Choose an urgency from 2 to 4."), field="urgent_from")
    options = {"urgent_floor": urgent_floor / 100 if urgent_floor is not None else None,
               "urgent_from": urgent_from, "hours_cap": hours_cap / 100 if hours_cap is not None else None,
               "spread": bool(spread)}
    _check_fairness(options)
    return options


def _check_fairness(options: Optional[dict]) -> None:
    """Stored options as the optimizer's contract checks them (runs copy them from run to run)."""
    try:
        parse_fairness(options)
    except BadInput as error:
        raise Refused(_l("These fairness options cannot be used."), field=error.field.split(".")[-1]) from None


def _build(kind: MatchKind, region: Region, period_start, period_end, funding_pool, overrides, previous=None,
           organization_id=None, fairness=None):
    pins = [[o.left, o.right] for o in overrides if o.action == "pin"]
    forbids = [[o.left, o.right] for o in overrides if o.action == "forbid"]
    if kind == MatchKind.shifts:
        problem, inputs = problems.build_shift_problem(region, period_start, period_end, pins=pins, forbids=forbids,
                                                       organization_id=organization_id, fairness=fairness)
        if previous is not None:
            problem["previous"] = previous
        return problem, inputs
    if kind == MatchKind.award:
        return problems.build_award_problem(region, funding_pool=funding_pool, pins=[p[0] for p in pins],
                                            forbids=[f[0] for f in forbids])
    return problems.build_case_problem(region, pins=pins, forbids=forbids)


def create_run(kind: MatchKind, region: Region, *, actor: User, period_start: Optional[datetime] = None,
               period_end: Optional[datetime] = None, funding_pool: Optional[float] = None,
               time_limit: Optional[float] = None, parent: Optional[MatchRun] = None,
               overrides: tuple = (), previous: Optional[list] = None, fairness: Optional[dict] = None) -> MatchRun:
    """Record a queued run with its problem built from the current data; the caller enqueues it.

    Refused when ``actor`` may not run this kind or area, when the week is missing or already over,
    and when the problem would be empty (the refusal says what is missing)."""
    if not can_run(actor, kind):
        raise Refused(_l("Social workers run volunteer matching only."), field="kind")
    if not can_see_region(actor, region):
        raise Refused(_l("This area is outside your scope."), field="region")
    if kind == MatchKind.shifts:
        if period_start is None or period_end is None or period_end <= period_start:
            raise Refused(_l("Choose the week to plan."), field="week")
        if period_end <= utcnow():
            raise Refused(_l("The week of %(week)s is already over; choose a week that has not ended.",
                             week=format_date(to_local(period_start).date(), "long")), field="week")
    if fairness is not None:
        if kind != MatchKind.shifts:
            raise Refused(_l("Fairness options apply to volunteer runs only."), field="urgent_floor")
        _check_fairness(fairness)
    decisions = [MatchOverride(action=o.action, left=o.left, right=o.right, reason=o.reason,
                               created_by_id=o.created_by_id) for o in overrides]
    # Social workers plan only the shifts of projects their organization runs.
    organization_id = actor.organization_id if actor.role == Role.social_worker else None
    problem, inputs = _build(kind, region, period_start, period_end, funding_pool, decisions, previous,
                             organization_id, fairness)
    missing = what_is_missing(kind, region, problem, period_start=period_start,
                              own_projects_only=organization_id is not None)
    if missing:
        raise Refused(" ".join(str(sentence) for sentence in missing),
                      field="week" if kind == MatchKind.shifts and not problem.get("shifts") else "region")
    run = MatchRun(kind=kind, region=region, period_start=period_start, period_end=period_end,
                   time_limit=time_limit or settings.get("MATCH_TIME_LIMIT"), created_by=actor,
                   parent_id=parent.id if parent else None, status=MatchStatus.queued, problem=problem,
                   inputs=inputs, overrides=decisions, fairness=fairness)
    db.session.add(run)
    db.session.flush()
    audit.record(actor, "match_run.create", run, after={
        "kind": kind.value, "region_id": region.id, "parent_id": run.parent_id,
        "overrides": [[o.action, o.left, o.right, o.reason] for o in run.overrides], "fairness": fairness})
    return run


def what_is_missing(kind: MatchKind, region: Region, problem: dict, *, period_start: Optional[datetime] = None,
                    own_projects_only: bool = False) -> list:
    """Sentences saying what an empty problem lacks (nothing when there is something to match)."""
    missing = []
    if kind == MatchKind.shifts:
        if not problem.get("shifts"):
            week = format_date(to_local(period_start).date(), "long") if period_start else ""
            missing.append(_l("No open shifts of your organization's projects in %(area)s for the week of %(week)s.",
                              area=region.name, week=week) if own_projects_only else
                           _l("No open shifts in %(area)s for the week of %(week)s.", area=region.name, week=week))
        if not problem.get("volunteers"):
            street = region.street_area()
            missing.append(_l("No verified, active volunteers live in %(area)s.", area=street.name))
    elif kind == MatchKind.award:
        if not problem.get("projects"):
            missing.append(_l("No project in %(area)s has been evaluated by the panel.", area=region.name))
        elif not problem.get("bids"):
            missing.append(_l("The evaluated projects in %(area)s have no scored bids.", area=region.name))
    else:
        if not problem.get("needs"):
            missing.append(_l("No needs for a professional are waiting in %(area)s.", area=region.name))
        if not problem.get("workers"):
            district = region.district_area()
            missing.append(_l("No active social worker of an active organization works in %(area)s.",
                              area=district.name))
    return missing


def start(run_id: int) -> None:
    """Hand a committed, queued run to the background; call it with no transaction open, since
    inline and threaded runs open their own (SQLite lets one writer in at a time)."""
    job_id = jobs.enqueue("linkage.matching.services.execute_run", run_id)
    if job_id is not None:
        db.session.execute(sa.update(MatchRun).where(MatchRun.id == run_id).values(job_id=job_id))


# --- the background job ------------------------------------------------------------------------

def _summary(baseline: dict) -> dict:
    """What the run page compares of first come, first served on the same problem."""
    stats = baseline.get("stats") or {}
    return {"objective": baseline["objective"], "coverage_by_urgency": stats.get("coverage_by_urgency", {}),
            "assignments": len(baseline.get("assignments", baseline.get("awards", []))),
            "awarded": stats.get("awarded"), "total_score": stats.get("total_score")}


def _solve(kind: MatchKind, problem: dict, time_limit: float, progress) -> tuple[dict, Optional[dict]]:
    """The optimizer's result, and first come, first served on the same problem beside it."""
    workers = current_app.config["MATCH_WORKERS"]
    if kind == MatchKind.shifts:
        previous = problem.get("previous")
        parsed = parse_shift_problem({k: v for k, v in problem.items() if k != "previous"})
        result = solve_shifts(parsed, time_limit=time_limit, workers=workers, progress=progress,
                              previous=[tuple(p) for p in previous] if previous else None)
        return result.to_dict(), _summary(baseline.first_come(parsed).to_dict())
    if kind == MatchKind.award:
        parsed = parse_award_problem(problem)
        result = solve_award(parsed, time_limit=time_limit, workers=workers, progress=progress)
        return result.to_dict(), _summary(baseline.first_come_award(parsed).to_dict())
    parsed = parse_case_problem(problem)
    result = solve_cases(parsed, time_limit=time_limit, workers=workers, progress=progress)
    return result.to_dict(), _summary(baseline.first_come_cases(parsed).to_dict())


def _heartbeat(app, run_id: int, stop: threading.Event, state: dict, part_id: Optional[int] = None) -> None:
    """Keep the run's (or the part's) heartbeat fresh while it solves, with the best objective so far."""
    interval = app.config["MATCH_HEARTBEAT_SECONDS"]
    with app.app_context():
        while not stop.wait(interval):
            if part_id is None:
                db.session.execute(sa.update(MatchRun).where(MatchRun.id == run_id,
                                                             MatchRun.status == MatchStatus.running)
                                   .values(heartbeat_at=utcnow(), best_so_far=state.get("best")))
            else:
                db.session.execute(sa.update(MatchRunPart).where(MatchRunPart.id == part_id,
                                                                 MatchRunPart.status == PART_RUNNING)
                                   .values(heartbeat_at=utcnow()))
            db.session.commit()
        db.session.remove()


def _beating(run_id: int, state: dict, part_id: Optional[int] = None):
    """Start the heartbeat thread; returns the function that stops it."""
    stop = threading.Event()
    beat = threading.Thread(target=_heartbeat, args=(current_app._get_current_object(), run_id, stop, state, part_id),
                            daemon=True)
    beat.start()

    def halt():
        stop.set()
        beat.join()
    return halt


def _fresh_connections() -> None:
    if os.getpid() != current_app.extensions["linkage_pid"]:
        db.engine.dispose(close=False)  # a forked worker never reuses its parent's connections


def execute_run(run_id: int) -> None:
    """Solve one queued run (called by the job queue, a thread, or inline); a district's volunteer run
    is split into parts, each solved as a job of its own (``execute_part``)."""
    _fresh_connections()
    run = db.session.execute(sa.select(MatchRun).where(MatchRun.id == run_id).with_for_update()).scalar_one_or_none()
    if run is None or run.status != MatchStatus.queued:
        db.session.rollback()
        return
    run.status, run.started_at, run.heartbeat_at = MatchStatus.running, utcnow(), utcnow()
    kind, problem, time_limit, in_parts = run.kind, run.problem, run.time_limit, solved_in_parts(run)
    db.session.commit()
    db.session.close()
    if in_parts:
        _split_run(run_id, problem)
        return

    state: dict = {}
    halt = _beating(run_id, state)
    try:
        result, baseline = _solve(kind, problem, time_limit,
                                  progress=lambda objective, bound, seconds: state.update(best=int(objective)))
    except Exception:  # recorded on the run as a code, the details in the log; nothing else was written
        current_app.logger.exception("match run %s failed", run_id)
        halt()
        _finish(run_id, MatchStatus.failed, error=SOLVER_ERROR)
        return
    halt()
    status, error = _outcome(result)
    _finish(run_id, status, result=result, baseline=baseline, error=error)


def solve_here(run: MatchRun) -> None:
    """Solve a queued run whole in the caller's transaction: no background job, heartbeat or commit. The
    demo seed writes its past runs this way, as of the moment they ran; pages hand runs to ``start``."""
    if run.status != MatchStatus.queued:
        raise Refused(_l("Only a queued run can be solved."))
    run.status, run.started_at, run.heartbeat_at = MatchStatus.running, utcnow(), utcnow()
    result, baseline = _solve(run.kind, run.problem, run.time_limit, progress=lambda *_args: None)
    status, error = _outcome(result)
    _record_finish(run, status, result=result, baseline=baseline, error=error)()


def _outcome(result: dict) -> tuple[MatchStatus, str]:
    status = {"OPTIMAL": MatchStatus.proposed, "FEASIBLE": MatchStatus.proposed,
              "INFEASIBLE": MatchStatus.infeasible}.get(result["status"], MatchStatus.failed)
    return status, "" if status != MatchStatus.failed else NO_SOLUTION


def _finish(run_id: int, status: MatchStatus, *, result=None, baseline=None, error: str = "") -> None:
    run = db.session.execute(sa.select(MatchRun).where(MatchRun.id == run_id).with_for_update()).scalar_one()
    if run.status != MatchStatus.running:  # reaped meanwhile: keep the recorded failure
        db.session.rollback()
        return
    observe = _record_finish(run, status, result=result, baseline=baseline, error=error)
    db.session.commit()
    observe()


def _record_finish(run: MatchRun, status: MatchStatus, *, result=None, baseline=None, error: str = ""):
    """Write the outcome on the locked, running run; returns what to tell the metrics after the commit."""
    before = audit.snapshot(run, *_RUN_FIELDS)
    run.status, run.finished_at, run.error = status, utcnow(), error
    if result is not None:
        run.result, run.objective, run.bound = result, result.get("objective"), result.get("bound")
    run.baseline = baseline
    audit.record(None, "match_run.finish", run, before=before, after=audit.snapshot(run, *_RUN_FIELDS))
    kind, seconds = run.kind.value, (run.finished_at - run.started_at).total_seconds()
    return lambda: metrics.observe_match_run(kind, status.value, seconds, result)


def reap_stale_runs(now: Optional[datetime] = None) -> list[int]:
    """Mark runs whose worker stopped sending heartbeats as failed; put the parts of a district run
    whose worker stopped back in the queue (up to MATCH_PART_ATTEMPTS tries, then the run fails).

    Returns the parts to hand to the queue once this transaction is committed (``retry_parts``)."""
    now = now or utcnow()
    limit = now - timedelta(seconds=current_app.config["MATCH_STALE_SECONDS"])
    in_parts = sa.select(MatchRunPart.run_id)
    stale = db.session.scalars(sa.select(MatchRun).where(
        MatchRun.status == MatchStatus.running, MatchRun.heartbeat_at < limit, MatchRun.id.not_in(in_parts))
        .with_for_update()).all()
    for run in stale:
        _fail(run, now, WORKER_STOPPED)
    return _reap_stale_parts(now, limit)


def reap_and_requeue() -> None:
    """The scheduled reaper (``linkage.jobs.SCHEDULE``): fail stale runs, then queue their lost parts again."""
    again = reap_stale_runs()
    db.session.commit()
    retry_parts(again)
    db.session.commit()


def _fail(run: MatchRun, now: datetime, error: str) -> None:
    before = audit.snapshot(run, *_RUN_FIELDS)
    run.status, run.finished_at = MatchStatus.failed, now
    run.error = error
    audit.record(None, "match_run.fail", run, before=before, after=audit.snapshot(run, *_RUN_FIELDS))


# --- a district's volunteer run in parts -----------------------------------------------------------
#
# The run's job splits the problem (matching/split.py: connected components of the candidate graph, cut
# by street when huge; each volunteer in one part only) and stores one MatchRunPart per part. With Redis
# each part is a job of its own, so several workers solve them at once; without it they run one after
# another in the run's own job. Each finished part is stored; the part that finds every other part done
# merges them into the run's one proposal. Finishers take the run's row lock first, so they finish one
# at a time and exactly one of them sees all parts done. A part whose worker stops sending heartbeats
# is put back in the queue by the reaper (``reap_stale_runs``) and solved again.

PART_QUEUED, PART_RUNNING, PART_DONE, PART_FAILED = "queued", "running", "done", "failed"


def solved_in_parts(run: MatchRun) -> bool:
    """A volunteer run over a whole district is solved in parts (when more than one is configured)."""
    # fairness options tie the whole week together (shares of all hours, floors per community): one model
    return (run.kind == MatchKind.shifts and run.region.level == RegionLevel.district
            and current_app.config["MATCH_PARTS"] > 1 and not run.fairness)


def _streets_of(problem: dict) -> dict:
    """Problem shift id → the street the shift lies in (a shift of the district itself: its own street)."""
    ids = [int(item["id"][1:]) for item in problem.get("shifts", [])
           if str(item["id"]).startswith("s") and str(item["id"])[1:].isdigit()]
    regions: dict = {}
    streets = {}
    for shift_id, region_id in db.session.execute(sa.select(Shift.id, Shift.region_id).where(Shift.id.in_(ids or [0]))):
        if region_id not in regions:
            region = db.session.get(Region, region_id)
            street = region.street() if region else None
            regions[region_id] = street.id if street else f"region{region_id}"
        streets[f"s{shift_id}"] = regions[region_id]
    return streets


def _split_run(run_id: int, problem: dict) -> None:
    """Split the run's problem into parts, store them and solve them (queued, or here in turn)."""
    config = current_app.config
    previous = [tuple(p) for p in problem.get("previous") or []] or None
    halt = _beating(run_id, {})  # a district takes seconds to split: the run stays alive meanwhile
    try:
        parsed = parse_shift_problem({k: v for k, v in problem.items() if k != "previous"})
        split = split_problem(parsed, parts=config["MATCH_PARTS"], units=_streets_of(problem), previous=previous,
                              cut_above=config["MATCH_CUT_PAIRS"])
    except Exception:
        current_app.logger.exception("match run %s could not be split", run_id)
        db.session.rollback()
        halt()
        _finish(run_id, MatchStatus.failed, error=SOLVER_ERROR)
        return
    halt()
    parts = []
    for number, part in enumerate(split.parts):
        data = part.to_dict()
        if previous is not None:
            inside = {(v.id, s.id) for v in part.problem.volunteers for s in part.problem.shifts}
            data["problem"]["previous"] = [list(p) for p in previous if tuple(p) in inside]
        parts.append(MatchRunPart(run_id=run_id, number=number, status=PART_QUEUED, problem=data["problem"],
                                  attempts=0, meta={"pairs": data["pairs"], "exact": data["exact"],
                                                    "trivial_bound": data["trivial_bound"], "split": split.stats}))
    db.session.add_all(parts)
    db.session.execute(sa.update(MatchRun).where(MatchRun.id == run_id).values(heartbeat_at=utcnow()))
    db.session.commit()
    part_ids = [part.id for part in parts]
    db.session.close()
    if jobs.mode(current_app) == "redis":
        retry_parts(part_ids)
        db.session.commit()
    else:
        for part_id in part_ids:  # one after another, in this job
            execute_part(part_id)


def retry_parts(part_ids: list[int]) -> None:
    """Hand queued parts to the job queue (after the transaction that queued them is committed)."""
    for part_id in part_ids or ():
        job_id = jobs.enqueue("linkage.matching.services.execute_part", part_id)
        if job_id is not None:
            db.session.execute(sa.update(MatchRunPart).where(MatchRunPart.id == part_id).values(job_id=job_id))


def execute_part(part_id: int) -> None:
    """Solve one queued part of a district run; the last part to finish merges them (a queue job)."""
    _fresh_connections()
    part = db.session.execute(sa.select(MatchRunPart).where(MatchRunPart.id == part_id).with_for_update()
                              ).scalar_one_or_none()
    run = db.session.get(MatchRun, part.run_id) if part is not None else None
    if part is None or part.status != PART_QUEUED or run.status != MatchStatus.running:
        db.session.rollback()
        return
    part.status, part.attempts, part.started_at, part.heartbeat_at = PART_RUNNING, part.attempts + 1, utcnow(), utcnow()
    run_id, problem, time_limit = run.id, part.problem, run.time_limit
    db.session.commit()
    db.session.close()
    state: dict = {}
    halt = _beating(run_id, state, part_id)
    try:
        result, baseline = _solve(MatchKind.shifts, problem, time_limit,
                                  progress=lambda objective, bound, seconds: state.update(best=int(objective)))
    except Exception:
        current_app.logger.exception("part %s of match run %s failed", part_id, run_id)
        halt()
        _finish_part(part_id, None, None)
        return
    halt()
    _finish_part(part_id, result, baseline)


def _finish_part(part_id: int, result: Optional[dict], baseline: Optional[dict]) -> None:
    """Store a part's result (None: the solver failed, and so does the run); the last part merges."""
    run_id = db.session.scalar(sa.select(MatchRunPart.run_id).where(MatchRunPart.id == part_id))
    run = _lock_run(run_id)  # every finisher of this run waits here: they finish one at a time
    part = db.session.execute(sa.select(MatchRunPart).where(MatchRunPart.id == part_id).with_for_update()
                              .execution_options(populate_existing=True)).scalar_one()
    if part.status == PART_DONE or run.status != MatchStatus.running:  # solved twice, or the run failed meanwhile
        db.session.rollback()
        return
    part.finished_at = utcnow()
    if result is None:
        part.status = PART_FAILED
        observe = _record_finish(run, MatchStatus.failed, error=SOLVER_ERROR)
    else:
        part.status, part.result, part.baseline = PART_DONE, result, baseline
        db.session.flush()
        left = db.session.scalar(sa.select(sa.func.count(MatchRunPart.id)).where(
            MatchRunPart.run_id == run.id, MatchRunPart.status != PART_DONE))
        observe = _merge(run) if left == 0 else None
    db.session.commit()
    if observe is not None:
        observe()


def _merge(run: MatchRun):
    """The run's one proposal from its parts' results (every part is done; the run is locked)."""
    parts = db.session.scalars(sa.select(MatchRunPart).where(MatchRunPart.run_id == run.id)
                               .order_by(MatchRunPart.number)).all()
    whole = parse_shift_problem({k: v for k, v in run.problem.items() if k != "previous"})
    seconds = (utcnow() - run.started_at).total_seconds()
    result = merge_results(whole, [p.meta for p in parts], [p.result for p in parts],
                           split_stats=parts[0].meta.get("split"), seconds=seconds)
    status, error = _outcome(result)
    return _record_finish(run, status, result=result, baseline=_summed([p.baseline for p in parts]), error=error)


def _summed(summaries: list) -> dict:
    """First come, first served over the whole district: the parts' summaries added up."""
    coverage: dict = {}
    for summary in summaries:
        for urgency, (filled, places) in (summary.get("coverage_by_urgency") or {}).items():
            cur = coverage.setdefault(urgency, [0, 0])
            cur[0], cur[1] = cur[0] + filled, cur[1] + places
    return {"objective": sum(s["objective"] for s in summaries), "assignments": sum(s["assignments"] for s in summaries),
            "coverage_by_urgency": {k: coverage[k] for k in sorted(coverage, reverse=True)},
            "awarded": None, "total_score": None}


def _reap_stale_parts(now: datetime, limit: datetime) -> list[int]:
    """Parts whose worker stopped: back to the queue, or the run fails after MATCH_PART_ATTEMPTS tries."""
    stale = db.session.execute(sa.select(MatchRunPart.id, MatchRunPart.run_id).join(
        MatchRun, MatchRun.id == MatchRunPart.run_id).where(
        MatchRunPart.status == PART_RUNNING, MatchRunPart.heartbeat_at < limit,
        MatchRun.status == MatchStatus.running).order_by(MatchRunPart.run_id, MatchRunPart.id)).all()
    again = []
    for part_id, run_id in stale:
        run = _lock_run(run_id)  # the run first, as finishers do
        part = db.session.execute(sa.select(MatchRunPart).where(MatchRunPart.id == part_id).with_for_update()
                                  .execution_options(populate_existing=True)).scalar_one()
        if run.status != MatchStatus.running or part.status != PART_RUNNING or part.heartbeat_at >= limit:
            continue
        if part.attempts >= current_app.config["MATCH_PART_ATTEMPTS"]:
            part.status = PART_FAILED
            _fail(run, now, WORKER_STOPPED)
            continue
        part.status, part.heartbeat_at = PART_QUEUED, None
        audit.record(None, "match_run.retry_part", run, after={"part": part.number + 1, "attempts": part.attempts})
        again.append(part.id)
    return again + _never_queued_parts(limit)


def _never_queued_parts(limit: datetime) -> list[int]:
    """With Redis: parts stored but never handed to the queue (the worker that split the run stopped
    in between), once the run has been silent as long as a lost part."""
    if jobs.mode(current_app) != "redis":
        return []  # in-process, waiting parts run in turn in the run's own job
    return list(db.session.scalars(sa.select(MatchRunPart.id).join(MatchRun, MatchRun.id == MatchRunPart.run_id).where(
        MatchRunPart.status == PART_QUEUED, MatchRunPart.job_id.is_(None), MatchRun.status == MatchStatus.running,
        MatchRun.heartbeat_at < limit).order_by(MatchRunPart.id)))


def parts_progress(run: MatchRun) -> Optional[tuple[int, int]]:
    """(parts done, parts) of a run solved in parts; None for a run solved whole."""
    rows = db.session.execute(sa.select(MatchRunPart.status, sa.func.count(MatchRunPart.id))
                              .where(MatchRunPart.run_id == run.id).group_by(MatchRunPart.status)).all()
    if not rows:
        return None
    counts = dict(rows)
    return counts.get(PART_DONE, 0), sum(counts.values())


# --- review: overrides and re-runs ---------------------------------------------------------------

def override_pair(run: MatchRun, left: Optional[int], right: Optional[int]) -> tuple[str, str]:
    """The problem's ids for a pairing chosen by row ids, refused unless both sides belong to the run.

    Left is a volunteer, a bid or a need; right a shift, the bid's own project or a social worker."""
    (left_list, left_prefix), (right_list, right_prefix) = SIDES[run.kind]
    problem = run.problem or {}
    lefts = {item["id"]: item for item in problem.get(left_list, [])}
    rights = {item["id"] for item in problem.get(right_list, [])}
    left_id, right_id = f"{left_prefix}{left}", f"{right_prefix}{right}"
    if left is None or left_id not in lefts:
        raise Refused({MatchKind.shifts: _l("Choose one of this run's volunteers."),
                       MatchKind.award: _l("Choose one of this run's bids."),
                       MatchKind.cases: _l("Choose one of this run's needs.")}[run.kind], field="left")
    if right is None or right_id not in rights:
        raise Refused({MatchKind.shifts: _l("Choose one of this run's shifts."),
                       MatchKind.award: _l("Choose one of this run's projects."),
                       MatchKind.cases: _l("Choose one of this run's social workers.")}[run.kind], field="right")
    if run.kind == MatchKind.award and lefts[left_id]["project"] != right_id:
        raise Refused(_l("This bid was made for another project; choose the project it bids for."), field="right")
    return left_id, right_id


def rerun_with_override(run: MatchRun, *, action: str, left: Optional[int], right: Optional[int], reason: str,
                        actor: User) -> MatchRun:
    """A new run with the staff decision added to the earlier ones; the first run keeps its proposal.

    ``left`` and ``right`` are row ids (volunteer × shift, bid × its project, need × social worker);
    a new decision on a pairing replaces an earlier one on the same pairing."""
    if action not in ("pin", "forbid"):
        raise Refused(_l("Choose to pin or to forbid the pairing."), field="action")
    if not (reason or "").strip():
        raise Refused(_l("Write down why you pin or forbid this pairing."), field="reason")
    if run.status not in FINISHED:
        raise Refused(_l("Wait until the run has finished."))
    left_id, right_id = override_pair(run, left, right)
    same = [o for o in run.overrides if (o.left, o.right) == (left_id, right_id)]
    if any(o.action == action for o in same):
        raise Refused(_l("This pairing is already pinned in this run.") if action == "pin"
                      else _l("This pairing is already forbidden in this run."), field="left")
    earlier = [o for o in run.overrides if o not in same]
    override = MatchOverride(action=action, left=left_id, right=right_id, reason=reason.strip(),
                             created_by_id=actor.id)
    child = create_run(run.kind, run.region, actor=actor, period_start=run.period_start, period_end=run.period_end,
                       funding_pool=(run.problem or {}).get("funding_pool"), time_limit=run.time_limit,
                       parent=run, overrides=(*earlier, override), fairness=run.fairness)
    audit.record(actor, f"match_run.{action}", run, after={"left": left_id, "right": right_id,
                                                           "child_run": child.id}, note=reason.strip())
    return child


def rerun(run: MatchRun, *, actor: User) -> MatchRun:
    """The same run again on today's data (after a refused approval); only a finished run."""
    if run.status not in FINISHED:
        raise Refused(_l("Wait until the run has finished before running it again."))
    return create_run(run.kind, run.region, actor=actor, period_start=run.period_start, period_end=run.period_end,
                      funding_pool=(run.problem or {}).get("funding_pool"), time_limit=run.time_limit,
                      parent=run, overrides=tuple(run.overrides), fairness=run.fairness)


def repair_run(run: MatchRun, *, actor: User) -> MatchRun:
    """After someone dropped out of an approved week: re-solve keeping every other approved pairing."""
    if run.kind != MatchKind.shifts or run.status != MatchStatus.approved:
        raise Refused(_l("Only an approved volunteer run can be repaired."))
    previous = [[a["volunteer"], a["shift"]] for a in run.result.get("assignments", [])]
    return create_run(run.kind, run.region, actor=actor, period_start=run.period_start, period_end=run.period_end,
                      time_limit=run.time_limit, parent=run, overrides=tuple(run.overrides), previous=previous,
                      fairness=run.fairness)


def changes_from_parent(run: MatchRun) -> dict:
    """Pairings added and removed compared with the run this one re-solves."""
    parent = db.session.get(MatchRun, run.parent_id) if run.parent_id else None
    if parent is None or not parent.result or not run.result:
        return {"added": [], "removed": []}
    key = {MatchKind.shifts: ("assignments", "volunteer", "shift"), MatchKind.award: ("awards", "project", "bid"),
           MatchKind.cases: ("assignments", "need", "worker")}[run.kind]

    def pairs(result):
        return {(item[key[1]], item[key[2]]) for item in result.get(key[0], [])}
    before, after = pairs(parent.result), pairs(run.result)
    return {"added": sorted(after - before), "removed": sorted(before - after)}


# --- approval --------------------------------------------------------------------------------------

def _lock_run(run_id: int) -> MatchRun:
    return db.session.execute(sa.select(MatchRun).where(MatchRun.id == run_id).with_for_update()
                              .execution_options(populate_existing=True)).scalar_one()


def approve_run(run: MatchRun, *, actor: User, note: str = "") -> bool:
    """Apply the whole proposal in this transaction; False if it was already approved (no-op).

    Raises Refused, writing nothing, when the data changed since the run in a way that breaks it."""
    run = _lock_run(run.id)
    if run.status == MatchStatus.approved:
        return False
    if run.status != MatchStatus.proposed:
        raise Refused(_l("Only a proposed run can be approved (this one is %(status)s).", status=run.status.label))
    apply = {MatchKind.shifts: _apply_shifts, MatchKind.award: _apply_award, MatchKind.cases: _apply_cases}[run.kind]
    apply(run, actor)
    before = audit.snapshot(run, *_RUN_FIELDS)
    run.status, run.decided_by, run.decided_at, run.decision_note = MatchStatus.approved, actor, utcnow(), note
    audit.record(actor, "match_run.approve", run, before=before, after=audit.snapshot(run, *_RUN_FIELDS), note=note)
    notify([run.created_by], "match_approved", link=link("matching.detail", run_id=run.id), run=run.id)
    return True


def reject_run(run: MatchRun, *, actor: User, note: str) -> None:
    run = _lock_run(run.id)
    if run.status != MatchStatus.proposed:
        raise Refused(_l("Only a proposed run can be rejected."))
    if not note.strip():
        raise Refused(_l("Write down why the proposal is rejected."), field="note")
    before = audit.snapshot(run, *_RUN_FIELDS)
    run.status, run.decided_by, run.decided_at, run.decision_note = MatchStatus.rejected, actor, utcnow(), note
    audit.record(actor, "match_run.reject", run, before=before, after=audit.snapshot(run, *_RUN_FIELDS), note=note)


def _ids(items, key: str, prefix_len: int = 1) -> list[int]:
    return sorted({int(item[key][prefix_len:]) for item in items})


def _apply_shifts(run: MatchRun, actor: User) -> None:
    """Write the proposal's places through the places service, which re-checks each against the
    eligibility rule and refuses the whole proposal, writing nothing, if anything no longer fits."""
    assignments = run.result.get("assignments", [])
    shift_ids = sorted({int(s) for s in run.inputs.get("shifts", {})} | set(_ids(assignments, "shift")))
    shifts = {sid: lock_shift(sid) for sid in shift_ids}  # in id order: no deadlock between approvers
    moved = [_l("shift \"%(title)s\" moved to another time", title=shift.title)
             for sid, shift in shifts.items()
             if (recorded := run.inputs["shifts"].get(str(sid))) and shift.status != ShiftStatus.cancelled
             and (recorded[2] != shift.start.isoformat() or recorded[3] != shift.end.isoformat())]
    if moved:
        raise Refused(_l("The data changed since this run, so the proposal no longer fits: %(what)s. "
                         "Re-run to get a new proposal.", what="; ".join(str(m) for m in moved)))
    plan = {(int(a["shift"][1:]), int(a["volunteer"][1:])): a["slot"] for a in assignments}
    moment = utcnow()
    apply_plan(shifts, plan, actor=actor, now=moment, match_run_id=run.id)
    for sid, shift in shifts.items():
        if not any(s == sid for (s, _v) in plan):
            continue
        for need in shift.needs:
            if need.status == NeedStatus.open:
                before = audit.snapshot(need, "status")
                need.status, need.matched_at = NeedStatus.matched, moment
                audit.record(actor, "need.match", need, before=before,
                             after={**audit.snapshot(need, "status"), "match_run_id": run.id})


def _apply_award(run: MatchRun, actor: User) -> None:
    from linkage.projects.services import award_bid

    broken = []
    awards = run.result.get("awards", [])
    for award in sorted(awards, key=lambda a: a["project"]):
        project = db.session.get(Project, int(award["project"][1:]))
        bid = db.session.get(Bid, int(award["bid"][1:]))
        if project is None or bid is None:
            broken.append(_l("a project or bid was deleted"))
            continue
        try:
            award_bid(project, bid, actor=actor, match_run=run)
        except Refused as refusal:
            broken.append(_l("%(project)s: %(why)s", project=project.title, why=refusal.message))
    if broken:
        raise Refused(_l("The data changed since this run, so the proposal no longer fits: %(what)s. "
                         "Re-run to get a new proposal.", what="; ".join(str(b) for b in broken)))


def _apply_cases(run: MatchRun, actor: User) -> None:
    assignments = run.result.get("assignments", [])
    broken = []
    needs = {n.id: n for n in db.session.scalars(
        sa.select(Need).where(Need.id.in_(_ids(assignments, "need") or [0])).with_for_update()
        .execution_options(populate_existing=True))}
    workers = {w.id: w for w in db.session.scalars(
        sa.select(SocialWorker).where(SocialWorker.id.in_(_ids(assignments, "worker") or [0])))}
    for item in assignments:
        need, worker = needs.get(int(item["need"][1:])), workers.get(int(item["worker"][1:]))
        if need is None:
            broken.append(_l("a need of this proposal was deleted"))
        elif need.case_worker_id is not None or need.status not in (NeedStatus.open, NeedStatus.matched):
            broken.append(_l("the need \"%(title)s\" was handled meanwhile", title=need.title))
        elif worker is None or not worker.active:
            broken.append(_l("social worker %(name)s is no longer active", name=worker.name if worker else "—"))
    if broken:
        raise Refused(_l("The data changed since this run, so the proposal no longer fits: %(what)s. "
                         "Re-run to get a new proposal.", what="; ".join(str(b) for b in broken)))
    _open_cases(run, [(needs[int(item["need"][1:])], workers[int(item["worker"][1:])]) for item in assignments],
                actor)


def _open_cases(run: MatchRun, pairs: list, actor: User) -> None:
    """Each assignment opens a case owned by its social worker (the case service checks the caseload);
    a need of a resident who already has an open case joins that case. Any refusal refuses the whole
    approval, writing nothing."""
    from linkage.cases import queries as case_queries, services as case_services

    for need, worker in pairs:
        existing = case_queries.open_case_of(need.resident_id)
        try:
            if existing is not None:
                case_services.join_open_case(existing, need, actor=actor)
            else:
                case_services.open_case([need], worker, actor=actor, match_run=run)
        except Refused as refusal:
            raise Refused(_l("The data changed since this run, so the proposal no longer fits: %(what)s. "
                             "Re-run to get a new proposal.", what=refusal.message)) from None
