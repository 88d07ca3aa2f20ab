"""Project and bid rules: creation from open needs, publication, bidding, scoring, award and after.

Every function takes the acting user, flushes and never commits; a refused action raises ``Refused``
before anything is written. Functions that change a project's state first lock its row
(``SELECT … FOR UPDATE``; SQLite serializes writers with BEGIN IMMEDIATE) and check the state inside
the transaction, so two staff members can never both award a project and no bid slips in after the
bidding closed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Optional

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from linkage import audit, formats, settings
from linkage.errors import Refused
from linkage.extensions import db
from linkage.models import (DEFAULT_CRITERIA, Bid, BidStatus, Category, Need, NeedStatus, Organization, OrgStatus,
                            PanelMember, Project, ProjectCriterion, ProjectStatus, Region, RegionLevel, SocialWorker,
                            User, WorkerLevel)
from linkage.notifications import link, notify
from linkage.organizations import access as org_access
from linkage.organizations.queries import org_admins_serving, organization_users
from linkage.organizations.services import add_years
from linkage.auth.access import can_see_region
from linkage.contracts import queries as contract_queries
from linkage.projects import access, queries
from linkage.timeutil import local_day_start, now, today

MAX_BUDGET = Decimal("999999999999.99")   # Money is NUMERIC(14, 2)
NORMAL_TERM_YEARS = 1                     # a contract term is normally at most one year ...
MAX_TERM_YEARS = 3                        # ... up to three for stable, funded services
CENT = Decimal("0.01")

_PROJECT_FIELDS = ("title", "region_id", "budget", "service_start", "service_end", "bidding_deadline",
                   "price_weight", "min_grade", "min_years", "required_workers", "required_worker_level",
                   "target_beneficiaries", "target_hours", "target_visits", "workload", "status")
_STATUS = ("status", "status_reason")


def local_text(moment: datetime) -> str:
    """A UTC instant as local date and time for messages, as the reader's language writes it."""
    return formats.moment(moment)


def money_text(amount: Decimal) -> str:
    return formats.money(amount)


def _lock(project: Project) -> Project:
    """Lock the project's row and re-read it, so state checks see what other transactions committed."""
    return db.session.execute(
        sa.select(Project).where(Project.id == project.id).with_for_update()
        .execution_options(populate_existing=True)).scalar_one()


def _need_ids(project: Project) -> list[int]:
    return [need.id for need in project.needs]


# --------------------------------------------------------------------------- input rules


def term_message(start: Optional[date], end: Optional[date], multi_year: bool):
    """Why the service period is not acceptable, or None."""
    if start is None or end is None:
        return None
    if end <= start:
        return _l("The service period must end after it starts.")
    if end > add_years(start, MAX_TERM_YEARS):
        return _l("A contract term may not exceed three years.")
    if end > add_years(start, NORMAL_TERM_YEARS) and not multi_year:
        return _l("A term over one year is only for stable, funded services: tick the box to confirm, or "
                  "shorten the period.")
    return None


def deadline_message(deadline: Optional[datetime], service_start: Optional[date], moment: datetime):
    """Why the bidding deadline is not acceptable, or None (deadline is an aware datetime)."""
    if deadline is None:
        return None
    if deadline <= moment:
        return _l("The bidding deadline must be in the future.")
    if service_start is not None and deadline >= local_day_start(service_start):
        return _l("Bidding must close before the service starts (%(day)s).", day=service_start.isoformat())
    return None


@dataclass
class ProjectData:
    title: str
    region: Region
    budget: Decimal
    service_start: date
    service_end: date
    bidding_deadline: datetime            # aware (UTC or local)
    needs: list[Need] = field(default_factory=list)
    categories: list[Category] = field(default_factory=list)
    description: str = ""
    multi_year: bool = False              # a term over one year was asked for on purpose
    price_weight: Optional[float] = None  # share of the price in the evaluation, 0..1; None: the setting
    min_grade: int = 0
    min_years: int = 0
    required_workers: int = 1
    required_worker_level: WorkerLevel = WorkerLevel.assistant
    target_beneficiaries: int = 0
    target_hours: int = 0
    target_visits: int = 0
    workload: int = 1


def _lock_needs(needs: list[Need]) -> list[Need]:
    """Lock and re-read the chosen needs, so two projects never take the same need at once."""
    if not needs:
        return []
    return list(db.session.scalars(
        sa.select(Need).where(Need.id.in_([need.id for need in needs])).order_by(Need.id)
        .with_for_update().execution_options(populate_existing=True)))


def _check_project(data: ProjectData, actor: User, project: Optional[Project]) -> None:
    if not (data.title or "").strip():
        raise Refused(_l("Give the project a title."), field="title")
    region = data.region
    if region is None or region.level == RegionLevel.grid or not can_see_region(actor, region):
        raise Refused(_l("Choose an area within your scope."), field="region")
    if data.budget is None or not Decimal(0) < data.budget <= MAX_BUDGET:
        raise Refused(_l("Enter a budget above zero."), field="budget")
    message = term_message(data.service_start, data.service_end, data.multi_year)
    if message is not None:
        raise Refused(message, field="service_end")
    message = deadline_message(data.bidding_deadline, data.service_start, now())
    if message is not None:
        raise Refused(message, field="bidding_deadline")
    if data.price_weight is not None and not 0 <= data.price_weight <= 1:
        raise Refused(_l("The price weight is between 0 and 100 %."), field="price_weight")
    for name, value, top in (("min_grade", data.min_grade, 5), ("min_years", data.min_years, 50),
                             ("required_workers", data.required_workers, 50),
                             ("target_beneficiaries", data.target_beneficiaries, 10**7),
                             ("target_hours", data.target_hours, 10**7),
                             ("target_visits", data.target_visits, 10**7), ("workload", data.workload, 100)):
        if value is None or not 0 <= value <= top or (name == "workload" and value < 1):
            raise Refused(_l("This number is out of range."), field=name)
    if not data.needs:
        raise Refused(_l("Choose at least one open need for the project to cover."), field="needs")
    data.needs = _lock_needs(data.needs)
    for need in data.needs:
        taken = need.project_id is not None and (project is None or need.project_id != project.id)
        if need.status != NeedStatus.open or taken:
            raise Refused(_l("The need \"%(title)s\" is no longer open; reload the list.", title=need.title),
                          field="needs")
        if not region.contains(need.region) or not can_see_region(actor, need.region):
            raise Refused(_l("The need \"%(title)s\" lies outside the project's area.", title=need.title),
                          field="needs")


def _apply(project: Project, data: ProjectData) -> None:
    project.title = data.title.strip()
    project.description = (data.description or "").strip()
    project.region = data.region
    project.budget = Decimal(data.budget).quantize(CENT)
    project.service_start, project.service_end = data.service_start, data.service_end
    project.bidding_deadline = data.bidding_deadline
    project.price_weight = float(data.price_weight if data.price_weight is not None
                                 else settings.get("DEFAULT_PRICE_WEIGHT"))
    project.min_grade, project.min_years = data.min_grade, data.min_years
    project.required_workers = data.required_workers
    project.required_worker_level = data.required_worker_level
    project.target_beneficiaries, project.target_hours = data.target_beneficiaries, data.target_hours
    project.target_visits = data.target_visits
    project.workload = data.workload
    # Categories default to those of the needs covered.
    project.categories = (list(data.categories)
                          or list({need.category_id: need.category for need in data.needs}.values()))
    project.needs = list(data.needs)


def default_criteria() -> list[ProjectCriterion]:
    """The technical criteria a new project starts with (staff may change them before the deadline)."""
    return [ProjectCriterion(position=i, code=code, weight=weight)
            for i, (code, (_name, weight)) in enumerate(DEFAULT_CRITERIA.items())]


def _snapshot(project: Project) -> dict:
    return {**audit.snapshot(project, *_PROJECT_FIELDS), "need_ids": _need_ids(project)}


# --------------------------------------------------------------------------- project lifecycle


def create_project(data: ProjectData, *, actor: User) -> Project:
    """A draft project covering open needs; civil affairs publish it when it is ready."""
    _check_project(data, actor, None)
    project = Project(status=ProjectStatus.draft, created_by=actor)
    _apply(project, data)
    project.criteria = default_criteria()
    db.session.add(project)
    db.session.flush()
    audit.record(actor, "project.create", project, after=_snapshot(project))
    return project


def update_project(project: Project, data: ProjectData, *, actor: User) -> None:
    """Change a draft; needs taken out of it are free for other projects again."""
    project = _lock(project)
    if project.status != ProjectStatus.draft:
        raise Refused(_l("Only a draft can be edited."))
    _check_project(data, actor, project)
    before = _snapshot(project)
    _apply(project, data)
    db.session.flush()
    audit.record(actor, "project.update", project, before=before, after=_snapshot(project))


def publish_project(project: Project, *, actor: User) -> None:
    """Open the bidding window and tell the organizations working in or around the project's area."""
    project = _lock(project)
    if project.status != ProjectStatus.draft:
        raise Refused(_l("Only a draft can be published."))
    message = deadline_message(project.bidding_deadline, project.service_start, now())
    if message is not None:
        raise Refused(_l("Edit the project first: %(problem)s", problem=message))
    if not project.needs:
        raise Refused(_l("Edit the project first: it covers no need."))
    stale = [need.title for need in project.needs if need.status != NeedStatus.open]
    if stale:
        raise Refused(_l("Edit the project first: these needs are no longer open: %(titles)s",
                         titles=", ".join(stale)))
    before = audit.snapshot(project, *_STATUS)
    project.status = ProjectStatus.published
    project.published_at = now()
    db.session.flush()
    audit.record(actor, "project.publish", project, before=before, after=audit.snapshot(project, *_STATUS))
    notify(org_admins_serving(project.region), "project_published",
           link=link("projects.detail", project_id=project.id), title=project.title,
           deadline=project.bidding_deadline)


# Statuses from which a project can still be cancelled (before the award).
CANCELLABLE = (ProjectStatus.draft, ProjectStatus.published, ProjectStatus.bidding_closed,
               ProjectStatus.evaluated)


def _release_needs(project: Project) -> None:
    """Needs of a cancelled or failed project are free to be bundled again."""
    project.needs = []


def cancel_project(project: Project, reason: str, *, actor: User) -> None:
    project = _lock(project)
    reason = (reason or "").strip()
    if project.status not in CANCELLABLE:
        raise Refused(_l("A project can only be cancelled before the award."))
    if not reason:
        raise Refused(_l("Give the reason; bidders are told."), field="reason")
    before = {**audit.snapshot(project, *_STATUS), "need_ids": _need_ids(project)}
    bidders = [bid.organization for bid in queries.valid_bids(project)]
    project.status, project.status_reason = ProjectStatus.cancelled, reason
    _release_needs(project)
    db.session.flush()
    audit.record(actor, "project.cancel", project, before=before, after=audit.snapshot(project, *_STATUS),
                 note=reason)
    for org in bidders:
        notify(organization_users(org), "project_cancelled",
               link=link("projects.detail", project_id=project.id), title=project.title, reason=reason)


def _fail(project: Project, actor: User, before: dict) -> None:
    project.status = ProjectStatus.failed
    project.status_reason = ""  # Project.status_reason_text says "no valid bid" in the reader's language
    _release_needs(project)
    db.session.flush()
    audit.record(actor, "project.fail", project, before=before, after=audit.snapshot(project, *_STATUS))


def former_need_ids(project: Project) -> list[int]:
    """The needs a failed project covered when it failed (its record in the audit trail)."""
    for event in reversed(audit.trail("Project", project.id)):
        if event.action == "project.fail":
            return list((event.before or {}).get("need_ids") or [])
    return []


def republication(project: Project) -> Optional[Project]:
    """The project that publishes a failed one again, if any."""
    return db.session.scalar(sa.select(Project).where(Project.republished_from_id == project.id).limit(1))


def republish_project(project: Project, *, actor: User) -> Project:
    """A failed project published again: a new draft with the same terms and criteria, covering those of
    its former needs still open and free; staff set the new deadline and publish it."""
    project = _lock(project)
    if project.status != ProjectStatus.failed:
        raise Refused(_l("Only a failed project can be published again."))
    again = republication(project)
    if again is not None:
        raise Refused(_l("This project was already published again as \"%(title)s\".", title=again.title))
    needs = [need for need in _lock_needs(db.session.scalars(
        sa.select(Need).where(Need.id.in_(former_need_ids(project)))).all())
        if need.status == NeedStatus.open and need.project_id is None]
    copy = Project(status=ProjectStatus.draft, created_by=actor, republished_from=project, needs=needs,
                   categories=list(project.categories),
                   criteria=[ProjectCriterion(position=c.position, code=c.code, name=c.name, weight=c.weight)
                             for c in project.criteria] or default_criteria(),
                   **{name: getattr(project, name) for name in _COPIED})
    db.session.add(copy)
    db.session.flush()
    audit.record(actor, "project.republish", copy, after={**_snapshot(copy), "republished_from_id": project.id})
    return copy


_COPIED = ("title", "description", "region_id", "budget", "service_start", "service_end", "bidding_deadline",
           "price_weight", "min_grade", "min_years", "required_workers", "required_worker_level",
           "target_beneficiaries", "target_hours", "workload")


def close_bidding(project: Project, *, actor: User) -> None:
    """After the deadline: bids of organizations no longer active are disqualified; with no valid bid
    left the project failed, otherwise it waits for the technical scores."""
    project = _lock(project)
    if project.status != ProjectStatus.published:
        raise Refused(_l("Only a project open for bids can be closed."))
    if now() < project.bidding_deadline:
        raise Refused(_l("Bidding is open until %(deadline)s; close it after that.",
                         deadline=local_text(project.bidding_deadline)))
    before = {**audit.snapshot(project, *_STATUS), "need_ids": _need_ids(project)}
    for bid in queries.valid_bids(project):
        if bid.organization.status != OrgStatus.active:
            _disqualify(bid, "", actor)  # no words stored: Bid.status_reason_text gives the rule's
    if not queries.valid_bids(project):
        _fail(project, actor, before)
        return
    project.status = ProjectStatus.bidding_closed
    db.session.flush()
    audit.record(actor, "project.close", project, before=before, after=audit.snapshot(project, *_STATUS))
    _recompute_scores(project)


# --------------------------------------------------------------------------- evaluation


def _round(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def price_points(price_weight: float, lowest_price: Decimal, price: Decimal) -> Decimal:
    """Unrounded price score: (lowest valid price ÷ this price) × price weight × 100 (PRODUCT.md)."""
    return Decimal(repr(price_weight)) * 100 * Decimal(lowest_price) / Decimal(price)


def _recompute_scores(project: Project) -> None:
    """Price scores depend on the lowest valid price: recompute them whenever the valid bids change.
    Totals are rounded once, as the award optimizer does (docs/contract.md, project award)."""
    bids = queries.valid_bids(project)
    if not bids:
        return
    lowest = min(bid.price for bid in bids)
    for bid in bids:
        raw = price_points(project.price_weight, lowest, bid.price)
        bid.price_score = float(_round(raw))
        bid.total_score = (float(_round(Decimal(repr(bid.technical_score)) + raw))
                           if bid.technical_score is not None else None)
    db.session.flush()


def _settle(project: Project, actor: User) -> None:
    """Move a closed project on: evaluated once every valid bid is scored; failed if none is left."""
    bids = queries.valid_bids(project)
    before = {**audit.snapshot(project, *_STATUS), "need_ids": _need_ids(project)}
    if not bids:
        _fail(project, actor, before)
    elif project.status == ProjectStatus.bidding_closed and all(b.status == BidStatus.scored for b in bids):
        project.status = ProjectStatus.evaluated
        db.session.flush()
        audit.record(actor, "project.evaluate", project, before=before,
                     after=audit.snapshot(project, *_STATUS))


def _check_evaluation_open(project: Project) -> None:
    if project.status == ProjectStatus.published:
        raise Refused(_l("Bids are evaluated after the bidding closes."))
    if project.status not in (ProjectStatus.bidding_closed, ProjectStatus.evaluated):
        raise Refused(_l("The evaluation of this project is over."))


def _check_no_panel(project: Project) -> None:
    """A project with an expert panel takes its technical scores from the panel only."""
    seated = db.session.scalar(sa.select(PanelMember.id).where(
        PanelMember.project_id == project.id, PanelMember.status.in_(access.SITTING)).limit(1))
    if seated is not None:
        raise Refused(_l("This project has an expert panel: its technical scores come from the panel."))


def _check_score(value) -> None:
    if value is None or not 0 <= value <= 100:
        raise Refused(_l("A technical score is between 0 and 100."), field="score")


def score_bid(bid: Bid, technical_score: float, *, actor: User) -> None:
    """Enter (or correct) the panel's technical score (0–100) of one valid bid; it counts weighted."""
    project = _lock(bid.project)
    _check_evaluation_open(project)
    _check_no_panel(project)
    _check_score(technical_score)
    db.session.refresh(bid)
    if bid.status not in queries.VALID_BID_STATUSES:
        raise Refused(_l("Only submitted bids are scored."))
    _set_score(bid, technical_score, actor)
    _recompute_scores(project)
    _settle(project, actor)


def technical_points(price_weight: float, panel_score: float) -> float:
    """The technical score that counts: the panel's 0–100 score × (1 − price weight), so that with the
    price score (at most price weight × 100) a total never exceeds 100. Stored as ``Bid.technical_score``,
    which the award optimizer adds to the price score."""
    return float(Decimal(repr(float(panel_score))) * (1 - Decimal(repr(price_weight))))


def panel_score(bid: Bid) -> Optional[float]:
    """The panel's own 0–100 score behind a bid's weighted technical score (None when not scored, or when
    the project gives the technical side no weight)."""
    technical_weight = 1 - Decimal(repr(bid.project.price_weight))
    if bid.technical_score is None or technical_weight <= 0:
        return None
    return float(_round(Decimal(repr(bid.technical_score)) / technical_weight))


def _set_score(bid: Bid, score: float, actor: User) -> None:
    weighted = technical_points(bid.project.price_weight, score)
    if bid.technical_score == weighted and bid.status == BidStatus.scored:
        return
    before = {**audit.snapshot(bid, "status", "technical_score"), "panel_score": panel_score(bid)}
    bid.technical_score = weighted
    bid.status = BidStatus.scored
    db.session.flush()
    audit.record(actor, "bid.score", bid, before=before,
                 after={**audit.snapshot(bid, "status", "technical_score"), "panel_score": float(score)},
                 region_id=bid.project.region_id)


def enter_scores(project: Project, scores: dict[int, Optional[float]], *, actor: User) -> None:
    """Technical scores for several bids at once (bid id → score; None leaves a bid unscored).
    All are checked before any is written."""
    project = _lock(project)
    _check_evaluation_open(project)
    _check_no_panel(project)
    bids = {bid.id: bid for bid in queries.valid_bids(project)}
    for bid_id, value in scores.items():
        if bid_id not in bids:
            raise Refused(_l("Only submitted bids are scored."))
        if value is not None:
            _check_score(value)
    if all(value is None for value in scores.values()):
        raise Refused(_l("Enter at least one score."))
    for bid_id, value in scores.items():
        if value is not None:
            _set_score(bids[bid_id], value, actor)
    _recompute_scores(project)
    _settle(project, actor)


def _disqualify(bid: Bid, reason: str, actor: User) -> None:
    before = audit.snapshot(bid, "status", "status_reason")
    bid.status, bid.status_reason = BidStatus.disqualified, reason
    bid.price_score = bid.total_score = None
    db.session.flush()
    audit.record(actor, "bid.disqualify", bid, before=before,
                 after={**audit.snapshot(bid, "status", "status_reason"),
                        "organization_status": bid.organization.status.value}, note=reason,
                 region_id=bid.project.region_id)
    to_project = link("projects.detail", project_id=bid.project_id)
    if reason:
        notify(organization_users(bid.organization), "bid_disqualified", link=to_project, title=bid.project.title,
               reason=reason)
    else:
        notify(organization_users(bid.organization), "bid_disqualified_inactive", link=to_project,
               title=bid.project.title)


def disqualify_bid(bid: Bid, reason: str, *, actor: User) -> None:
    """Take a bid out of the competition, with the reason (the organization is told)."""
    project = _lock(bid.project)
    _check_evaluation_open(project)
    reason = (reason or "").strip()
    if not reason:
        raise Refused(_l("Give the reason; the organization is told."), field="reason")
    db.session.refresh(bid)
    if bid.status not in queries.VALID_BID_STATUSES:
        raise Refused(_l("This bid is no longer in the competition."))
    _disqualify(bid, reason, actor)
    _recompute_scores(project)
    _settle(project, actor)


# --------------------------------------------------------------------------- award and after


def award_bid(project: Project, bid: Bid, *, actor: User, note: str = "", match_run=None) -> None:
    """Award ``project`` to ``bid``: it wins, the other scored bids lose, the needs covered are matched.
    ``match_run``: the approved run that proposed it (it stands for the reason when the bid is not the best).

    The project row is locked and its status checked inside the transaction, so of two concurrent
    awards exactly one succeeds."""
    project = _lock(project)
    if project.status in access.AWARDED_STATUSES:
        raise Refused(_l("This project was already awarded."))
    if project.status == ProjectStatus.bidding_closed:
        raise Refused(_l("Enter the technical score of every valid bid before the award."))
    if project.status != ProjectStatus.evaluated:
        raise Refused(_l("This project cannot be awarded now (%(status)s).", status=project.status.label))
    bids = queries.valid_bids(project)
    if bid.project_id != project.id or bid not in bids or bid.status != BidStatus.scored:
        raise Refused(_l("Only a scored, valid bid of this project can win."), field="bid")
    org = db.session.execute(sa.select(Organization).where(Organization.id == bid.organization_id)
                             .with_for_update().execution_options(populate_existing=True)).scalar_one()
    if org.status != OrgStatus.active:
        raise Refused(_l("%(name)s is \"%(status)s\" and cannot be awarded.", name=org.name,
                         status=org.status.label), field="bid")
    used = queries.used_capacity(org)
    if used + bid.workload > org.capacity:
        raise Refused(_l("%(name)s would exceed its capacity: running projects take %(used)s of "
                         "%(capacity)s units and this bid needs %(need)s.", name=org.name, used=used,
                         capacity=org.capacity, need=bid.workload), field="bid")
    note = (note or "").strip()
    _check_choice(bid, ranked(bids), note, match_run)

    before = {**audit.snapshot(project, *_STATUS), "need_ids": _need_ids(project)}
    moment = now()
    project.status, project.status_reason, project.awarded_at = ProjectStatus.awarded, note, moment
    for other in bids:
        other_before = audit.snapshot(other, "status")
        other.status = BidStatus.won if other is bid else BidStatus.lost
        audit.record(actor, "bid.win" if other is bid else "bid.lose", other, before=other_before,
                     after=audit.snapshot(other, "status"), region_id=project.region_id)
    matched = []
    needs = db.session.scalars(sa.select(Need).where(Need.project_id == project.id).order_by(Need.id)
                               .with_for_update().execution_options(populate_existing=True))
    for need in needs:
        if need.status == NeedStatus.open:
            need_before = audit.snapshot(need, "status")
            need.status, need.matched_at = NeedStatus.matched, moment
            matched.append(need)
            audit.record(actor, "need.match", need, before=need_before, after=audit.snapshot(need, "status"),
                         note=project.title)
    db.session.flush()
    audit.record(actor, "project.award", project, before=before,
                 after={**audit.snapshot(project, *_STATUS), "bid_id": bid.id, "organization_id": org.id,
                        **({"match_run_id": match_run.id} if match_run is not None else {})},
                 note=note)
    _tell_bidders(project, bid, bids)
    for need in matched:
        resident_user = need.resident.user
        if resident_user is not None:
            notify([resident_user], "project_need_matched", link=link("needs.detail", need_id=need.id),
                   title=need.title, org=org.name,
                   project=project.title)


# PRODUCT.md: "Grade 3A+ gives priority in purchases".
PRIORITY_GRADE = 3


def has_priority(org: Organization, day: Optional[date] = None) -> bool:
    """Whether the organization's valid grade gives it priority (3A or higher)."""
    return org.effective_grade(day or today()) >= PRIORITY_GRADE


def ranked(bids: list[Bid], day: Optional[date] = None) -> list[Bid]:
    """The one ranking of a project's bids, best first: the highest total score; between equal totals an
    organization graded 3A or higher before one that is not (the 3A+ priority); then the lower price, then
    the earlier bid. Unscored bids come last."""
    day = day or today()
    return sorted(bids, key=lambda b: (b.total_score is None, -(b.total_score or 0),
                                       not has_priority(b.organization, day), b.price, b.id))


def _check_choice(bid: Bid, order: list[Bid], note: str, match_run) -> None:
    """A bid other than the first of the ranking wins only with a written reason (or a match run)."""
    best = order[0]
    if bid is best or note or match_run is not None:
        return
    if bid.total_score == best.total_score:
        raise Refused(_l("%(name)s has the same total score and is graded 3A or higher, which gives it priority: "
                         "give the reason for choosing this bid.", name=best.organization.name), field="note")
    raise Refused(_l("This bid does not have the highest total score (%(best)s): give the reason for "
                     "choosing it.", best=best.total_score), field="note")


def _tell_bidders(project: Project, winner: Bid, bids: list[Bid]) -> None:
    """The award notice is out: every bid in the competition is told its rank and total score."""
    to_notice = link("projects.notice", project_id=project.id)
    order = ranked(bids)
    for rank, bid in enumerate(order, start=1):
        users = organization_users(bid.organization, *access.ORG_ROLES) if bid is winner \
            else organization_users(bid.organization)
        notify(users, "bid_won" if bid is winner else "bid_lost", link=to_notice, title=project.title,
               rank=rank, count=len(order), score=f"{bid.total_score:.2f}")


# Simple forward steps after the award: verb → (from, to, audit action).
ADVANCES = {
    "contract": (ProjectStatus.awarded, ProjectStatus.contracted, "project.contract"),
    "start": (ProjectStatus.contracted, ProjectStatus.in_progress, "project.start"),
}


def advance_project(project: Project, verb: str, *, actor: User) -> None:
    """Record the contract (awarded → contracted) or the start of service (contracted → in progress)."""
    source, target, action = ADVANCES[verb]
    project = _lock(project)
    if project.status != source:
        raise Refused(_l("This step does not fit the project's status (%(status)s).",
                         status=project.status.label))
    before = audit.snapshot(project, *_STATUS)
    project.status = target
    db.session.flush()
    audit.record(actor, action, project, before=before, after=audit.snapshot(project, *_STATUS))
    winner = db.session.scalar(
        sa.select(Bid).where(Bid.project_id == project.id, Bid.status == BidStatus.won))
    if verb == "contract" and winner is not None:
        notify(organization_users(winner.organization, *access.ORG_ROLES), "project_contracted",
               link=link("projects.detail", project_id=project.id), title=project.title)


def mark_contracted(project: Project, *, actor: User) -> None:
    """Record the signed contract: refused during the standstill after the award notice and while a
    complaint is open (``standstill.contract_signing_refusal``)."""
    from linkage.projects.standstill import contract_signing_refusal
    refusal = contract_signing_refusal(_lock(project))
    if refusal is not None:
        raise Refused(refusal)
    advance_project(project, "contract", actor=actor)


def mark_in_progress(project: Project, *, actor: User) -> None:
    advance_project(project, "start", actor=actor)


def available_actions(project: Project) -> set[str]:
    """What civil affairs can do with the project now (the detail page shows these buttons)."""
    status, actions = project.status, set()
    if status == ProjectStatus.draft:
        actions |= {"edit", "publish"}
    if status in CANCELLABLE:
        actions.add("cancel")
    if status == ProjectStatus.published and now() >= project.bidding_deadline:
        actions.add("close")
    if status in (ProjectStatus.bidding_closed, ProjectStatus.evaluated):
        actions |= {"score", "disqualify"}
    if status == ProjectStatus.evaluated:
        actions.add("award")
    if status in (ProjectStatus.draft, ProjectStatus.published):
        actions.add("criteria")
    if status == ProjectStatus.failed and republication(project) is None:
        actions.add("republish")
    for verb, (source, _target, _action) in ADVANCES.items():
        if status == source:
            actions.add(verb)
    return actions


# --------------------------------------------------------------------------- bids


@dataclass
class BidData:
    price: Decimal
    proposal: str
    team: list[SocialWorker] = field(default_factory=list)
    workload: int = 1
    no_violation_declared: bool = False


def grade_text(grade: int) -> str:
    return f"{grade}A" if grade else str(_l("none"))


def eligibility_problems(project: Project, org: Organization, day: Optional[date] = None) -> list:
    """Why ``org`` may not bid on ``project`` at all (status, grade, age, area); empty if it may."""
    day = day or today()
    problems = []
    if org.status == OrgStatus.blacklisted:
        problems.append(_l("Your organization is blacklisted (bad credit record) and may not bid."))
    elif org.status != OrgStatus.active:
        problems.append(_l("Only verified, active organizations may bid; yours is \"%(status)s\".",
                           status=org.status.label))
    if not org_access.serves(org, project.region):
        problems.append(_l("This project lies outside your organization's service area."))
    grade = org.effective_grade(day)
    if project.min_grade and grade < project.min_grade:
        problems.append(_l("This project requires grade %(min)sA or higher; your organization's valid grade "
                           "is %(grade)s.", min=project.min_grade, grade=grade_text(grade)))
    barred = contract_queries.bar_reason(org, day)
    if barred is not None:
        problems.append(barred)
    years = org.years_since_founding(day)
    if project.min_years and years < project.min_years:
        problems.append(_l("This project requires at least %(min)s years since founding; your organization "
                           "was founded %(years)s years ago.", min=project.min_years, years=years))
    return problems


def qualified_count(project: Project, team) -> int:
    return sum(1 for worker in team if worker.level.value >= project.required_worker_level.value)


def _check_bid(project: Project, org: Organization, data: BidData) -> None:
    if data.price is None or data.price <= 0:
        raise Refused(_l("Enter a price above zero."), field="price")
    if data.price > project.budget:
        raise Refused(_l("The price may not exceed the budget of %(budget)s.",
                         budget=money_text(project.budget)), field="price")
    if not (data.proposal or "").strip():
        raise Refused(_l("Describe how you will deliver the service."), field="proposal")
    if any(worker.organization_id != org.id or not worker.active for worker in data.team):
        raise Refused(_l("The team is made of your organization's active social workers."), field="team")
    have = qualified_count(project, data.team)
    if have < project.required_workers:
        raise Refused(_l("This project needs at least %(n)s social workers at the level \"%(level)s\" or "
                         "above; the team has %(have)s.", n=project.required_workers,
                         level=project.required_worker_level.label, have=have), field="team")
    if data.workload is None or not 1 <= data.workload <= org.capacity:
        raise Refused(_l("The workload is between 1 and your organization's capacity (%(capacity)s units).",
                         capacity=org.capacity), field="workload")
    if not data.no_violation_declared:
        raise Refused(_l("Declare that the organization had no major violation in the last three years; "
                         "an organization that cannot declare it may not bid."),
                      field="no_violation_declared")


_BID_FIELDS = ("status", "price", "workload", "no_violation_declared")


def _check_bidding_open(project: Project) -> None:
    if project.status != ProjectStatus.published:
        raise Refused(_l("This project is not open for bids."))
    if now() >= project.bidding_deadline:
        raise Refused(_l("Bidding for this project closed at %(deadline)s.",
                         deadline=local_text(project.bidding_deadline)))


def submit_bid(project: Project, org: Organization, data: BidData, *, actor: User) -> Bid:
    """Submit ``org``'s bid, or change it: one bid per organization and project, editable until the
    deadline (a withdrawn bid can be submitted again)."""
    project = _lock(project)
    _check_bidding_open(project)
    problems = eligibility_problems(project, org)
    if problems:
        raise Refused(problems[0])
    _check_bid(project, org, data)
    bid = queries.own_bid(project, org)
    if bid is not None and bid.status not in (BidStatus.draft, BidStatus.submitted, BidStatus.withdrawn):
        raise Refused(_l("This bid can no longer be changed."))
    before = {**audit.snapshot(bid, *_BID_FIELDS), "team": sorted(w.id for w in bid.team)} if bid else None
    if bid is None:
        bid = Bid(project=project, organization=org, created_by_id=actor.id)
        db.session.add(bid)
    bid.price = Decimal(data.price).quantize(CENT)
    bid.proposal = data.proposal.strip()
    bid.team = list(data.team)
    bid.workload = data.workload
    bid.no_violation_declared = True
    bid.status, bid.status_reason = BidStatus.submitted, ""
    bid.submitted_at = now()
    db.session.flush()
    after = {**audit.snapshot(bid, *_BID_FIELDS), "team": sorted(w.id for w in bid.team)}
    action = "bid.update" if before is not None and before["status"] == "submitted" else "bid.submit"
    audit.record(actor, action, bid, before=before, after=after, region_id=project.region_id)
    return bid


def withdraw_bid(bid: Bid, *, actor: User) -> None:
    project = _lock(bid.project)
    _check_bidding_open(project)
    db.session.refresh(bid)
    if bid.status != BidStatus.submitted:
        raise Refused(_l("Only a submitted bid can be withdrawn."))
    before = audit.snapshot(bid, "status")
    bid.status = BidStatus.withdrawn
    db.session.flush()
    audit.record(actor, "bid.withdraw", bid, before=before, after=audit.snapshot(bid, "status"),
                 region_id=project.region_id)
