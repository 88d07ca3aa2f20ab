"""The expert panel of a project: its technical criteria, who sits on it, conflicts of interest, the
experts' scores per criterion and the panel's aggregate technical score.

An expert is *tied* to an organization when their account belongs to it (``User.organization_id``),
when they are one of its social workers (a ``SocialWorker`` row with their account), or when they
declared a tie to it (``ExpertTie``, kept for every later panel). A tied expert never sits on the
panel of a project that organization bids on: civil affairs cannot assign them, and an expert who
declares or is found to have such a tie is recused.

The panel's technical score of a bid is the average of the experts' weighted totals, each expert's
total being Σ criterion weight × score ÷ 100; with ``PANEL_TRIM_MIN`` or more experts the highest and
the lowest total are dropped first. It counts once every expert on the panel has scored every
criterion of the bid. Every function takes the acting user, flushes and never commits.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Optional

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from linkage import audit, settings
from linkage.errors import Refused
from linkage.extensions import db
from linkage.models import (AccountStatus, Bid, BidStatus, ExpertTie, Organization,
                            PanelMember, PanelScore, PanelStatus, Project, ProjectCriterion, ProjectStatus,
                            Role, SocialWorker, User)
from linkage.notifications import link, notify
from linkage.projects import access, queries, services
from linkage.timeutil import now

CENT = Decimal("0.01")
MAX_CRITERIA = 8
# While the panel can still change: before the evaluation is over.
PANEL_OPEN = (ProjectStatus.draft, ProjectStatus.published, ProjectStatus.bidding_closed)


# --------------------------------------------------------------------------- criteria


def ensure_criteria(project: Project) -> list[ProjectCriterion]:
    """The project's criteria; a project that has none gets the default ones."""
    if not project.criteria:
        project.criteria = services.default_criteria()
        db.session.flush()
    return project.criteria


@dataclass
class CriterionData:
    name: str
    weight: int
    code: str = ""      # kept when a default criterion is left as it was


def criteria_message(rows: list[CriterionData]) -> Optional[object]:
    """Why these criteria are not acceptable, or None."""
    if not rows:
        return _l("Give at least one criterion.")
    if len(rows) > MAX_CRITERIA:
        return _l("Use at most %(n)s criteria.", n=MAX_CRITERIA)
    if any(not (row.name or "").strip() and not row.code for row in rows):
        return _l("Give every criterion a name.")
    if any(row.weight is None or not 1 <= row.weight <= 100 for row in rows):
        return _l("Each weight is from 1 to 100.")
    total = sum(row.weight for row in rows)
    if total != 100:
        return _l("The weights add up to %(total)s; they must add up to 100.", total=total)
    return None


def _criteria_snapshot(project: Project) -> list:
    return [[c.code or c.name, c.weight] for c in project.criteria]


def set_criteria(project: Project, rows: list[CriterionData], *, actor: User) -> bool:
    """Replace the project's technical criteria (a draft, or a published project as a change of its
    terms: bids already in must be confirmed again). Returns whether anything changed."""
    project = services._lock(project)
    if project.status not in (ProjectStatus.draft, ProjectStatus.published):
        raise Refused(_l("The criteria can only change before the bidding closes."))
    message = criteria_message(rows)
    if message is not None:
        raise Refused(message)
    before = _criteria_snapshot(project)
    after = [[row.code or row.name.strip(), row.weight] for row in rows]
    if before == after:
        return False
    project.criteria = [ProjectCriterion(position=i, code=row.code, name="" if row.code else row.name.strip(),
                                         weight=row.weight) for i, row in enumerate(rows)]
    db.session.flush()
    audit.record(actor, "project.criteria", project, before={"criteria": before}, after={"criteria": after})
    if project.status == ProjectStatus.published:
        from linkage.projects import standstill
        standstill.terms_changed(project, actor)
    return True


# --------------------------------------------------------------------------- ties


def tie_reason(expert: User, org: Organization):
    """Why ``expert`` is tied to ``org`` (words for a refusal), or None."""
    if expert.organization_id == org.id:
        return _l("%(expert)s's account belongs to %(org)s", expert=expert.display_name, org=org.name)
    worker = db.session.scalar(sa.select(SocialWorker.id).where(
        SocialWorker.user_id == expert.id, SocialWorker.organization_id == org.id).limit(1))
    if worker is not None:
        return _l("%(expert)s is a social worker of %(org)s", expert=expert.display_name, org=org.name)
    declared = db.session.scalar(sa.select(ExpertTie.id).where(
        ExpertTie.expert_id == expert.id, ExpertTie.organization_id == org.id).limit(1))
    if declared is not None:
        return _l("%(expert)s declared a tie to %(org)s", expert=expert.display_name, org=org.name)
    return None


def bidders(project: Project) -> list[Organization]:
    """The organizations with a bid on the project (any bid that was ever submitted and is not a draft again:
    a draft is its organization's alone, ``access.not_anothers_draft``)."""
    return list(db.session.scalars(
        sa.select(Organization).join(Bid, Bid.organization_id == Organization.id)
        .where(Bid.project_id == project.id, access.not_anothers_draft(None))
        .order_by(Organization.name, Organization.id)))


def conflict(expert: User, project: Project):
    """The first tie of ``expert`` to a bidder of ``project`` (words), or None."""
    for org in bidders(project):
        reason = tie_reason(expert, org)
        if reason is not None:
            return reason
    return None


# --------------------------------------------------------------------------- membership


def expert_choices() -> list[User]:
    """Experts civil affairs can assign: active accounts with the expert role."""
    return list(db.session.scalars(sa.select(User).where(
        User.role == Role.expert, User.status == AccountStatus.active).order_by(User.display_name, User.id)))


def _seat(project: Project, expert: User) -> Optional[PanelMember]:
    return db.session.scalar(sa.select(PanelMember).where(
        PanelMember.project_id == project.id, PanelMember.expert_id == expert.id))


_SEAT = ("status", "status_reason", "declaration")


def assign_expert(project: Project, expert: Optional[User], *, actor: User) -> PanelMember:
    """Put an expert on the project's panel; refused when the expert is tied to a bidder."""
    project = services._lock(project)
    if project.status not in PANEL_OPEN:
        raise Refused(_l("The panel cannot change once the evaluation is over."))
    if expert is None or expert.role != Role.expert or expert.status != AccountStatus.active:
        raise Refused(_l("Choose an active expert evaluator."), field="expert")
    reason = conflict(expert, project)
    if reason is not None:
        raise Refused(_l("%(expert)s cannot sit on this panel: %(reason)s, which bids on this project.",
                         expert=expert.display_name, reason=reason), field="expert")
    seat = _seat(project, expert)
    if seat is not None and seat.status in access.SITTING:
        raise Refused(_l("%(expert)s is already on this panel.", expert=expert.display_name), field="expert")
    if seat is not None and seat.status == PanelStatus.recused:
        raise Refused(_l("%(expert)s recused from this panel and cannot be assigned again.",
                         expert=expert.display_name), field="expert")
    before = audit.snapshot(seat, *_SEAT) if seat is not None else None
    if seat is None:
        seat = PanelMember(project=project, expert=expert)
        db.session.add(seat)
    seat.status, seat.status_reason, seat.declaration, seat.declared_at = PanelStatus.assigned, "", "", None
    seat.assigned_by, seat.assigned_at = actor, now()
    ensure_criteria(project)
    db.session.flush()
    audit.record(actor, "panel.assign", seat, before=before,
                 after={**audit.snapshot(seat, *_SEAT), "expert_id": expert.id}, region_id=project.region_id)
    notify([expert], "panel_assigned", link=link("projects.detail", project_id=project.id), title=project.title)
    _refresh(project, actor)
    return seat


def remove_expert(seat: PanelMember, reason: str, *, actor: User) -> None:
    """Take an expert off the panel (their scores no longer count), with the reason."""
    project = services._lock(seat.project)
    if project.status not in PANEL_OPEN:
        raise Refused(_l("The panel cannot change once the evaluation is over."))
    reason = (reason or "").strip()
    if not reason:
        raise Refused(_l("Give the reason."), field="reason")
    db.session.refresh(seat)
    if seat.status not in access.SITTING:
        raise Refused(_l("This expert no longer sits on the panel."))
    before = audit.snapshot(seat, *_SEAT)
    seat.status, seat.status_reason = PanelStatus.removed, reason
    db.session.flush()
    audit.record(actor, "panel.remove", seat, before=before, after=audit.snapshot(seat, *_SEAT), note=reason,
                 region_id=project.region_id)
    _refresh(project, actor)


def declare(project: Project, tied: list[Organization], statement: str, no_conflict: bool, *,
            actor: User) -> PanelMember:
    """The expert's conflict-of-interest declaration. Ties declared are kept; a tie to a bidder (declared
    or on record) recuses the expert, who is told why; otherwise the expert joins the panel."""
    project = services._lock(project)
    seat = access.panel_seat(actor, project)
    if seat is None or project.status not in (ProjectStatus.bidding_closed, ProjectStatus.evaluated):
        raise Refused(_l("You can declare once the bidding has closed, while the evaluation is open."))
    if seat.status == PanelStatus.joined:
        raise Refused(_l("You already declared for this panel."))
    known = {org.id for org in bidders(project)}
    if any(org.id not in known for org in tied):
        raise Refused(_l("Choose among the organizations that bid."), field="ties")
    if not tied and not no_conflict:
        raise Refused(_l("Tick the declaration, or name the organizations you are tied to."), field="no_conflict")
    for org in tied:
        if _tie(actor, org) is None:
            db.session.add(ExpertTie(expert_id=actor.id, organization_id=org.id, declared_at=now()))
    db.session.flush()
    before = audit.snapshot(seat, *_SEAT)
    seat.declaration, seat.declared_at = (statement or "").strip(), now()
    reason = conflict(actor, project)
    if reason is not None:
        seat.status, seat.status_reason = PanelStatus.recused, str(reason)
    else:
        seat.status = PanelStatus.joined
    db.session.flush()
    audit.record(actor, "panel.declare", seat, before=before,
                 after={**audit.snapshot(seat, *_SEAT), "tied_organization_ids": sorted(o.id for o in tied)},
                 region_id=project.region_id)
    if reason is not None:
        notify([seat.assigned_by], "panel_recused", link=link("projects.panel", project_id=project.id),
               name=actor.display_name, title=project.title)
    _refresh(project, actor)
    return seat


def _tie(expert: User, org: Organization) -> Optional[ExpertTie]:
    return db.session.scalar(sa.select(ExpertTie).where(
        ExpertTie.expert_id == expert.id, ExpertTie.organization_id == org.id))


def sitting(project: Project) -> list[PanelMember]:
    return [seat for seat in project.panel if seat.status in access.SITTING]


def joined(project: Project) -> list[PanelMember]:
    return [seat for seat in project.panel if seat.status == PanelStatus.joined]


def has_panel(project: Project) -> bool:
    """Whether the project's technical scores come from an expert panel (someone sits on it)."""
    return bool(sitting(project))


# --------------------------------------------------------------------------- scores


def _check_score(value) -> None:
    if value is None or not 0 <= value <= 100:
        raise Refused(_l("A score is between 0 and 100."))


def enter_panel_scores(project: Project, scores: dict[tuple[int, int], Optional[float]], *,
                       actor: User) -> None:
    """An expert's scores: (bid id, criterion id) → 0–100, None leaving one unscored. All are checked
    before any is written; a bid counts once every expert on the panel scored all its criteria."""
    project = services._lock(project)
    seat = access.panel_seat(actor, project)
    if seat is None or seat.status != PanelStatus.joined:
        raise Refused(_l("Declare your conflicts of interest before scoring."))
    if project.status not in access.SCORING_STATUSES:
        raise Refused(_l("The evaluation of this project is over."))
    reason = conflict(actor, project)
    if reason is not None:
        raise Refused(_l("You cannot score this project: %(reason)s, which bids on it.", reason=reason))
    bids = {bid.id: bid for bid in queries.valid_bids(project)}
    criteria = {c.id: c for c in ensure_criteria(project)}
    for (bid_id, criterion_id), value in scores.items():
        if bid_id not in bids or criterion_id not in criteria:
            raise Refused(_l("Only submitted bids are scored."))
        if value is not None:
            _check_score(value)
    if all(value is None for value in scores.values()):
        raise Refused(_l("Enter at least one score."))
    mine = {(s.bid_id, s.criterion_id): s for s in seat.scores}
    before = {f"{b}/{c}": s.score for (b, c), s in mine.items()}
    moment = now()
    for key, value in scores.items():
        if value is None:
            continue
        row = mine.get(key)
        if row is None:
            row = PanelScore(member=seat, bid_id=key[0], criterion_id=key[1], score=float(value), scored_at=moment)
            db.session.add(row)
        elif row.score != float(value):
            row.score, row.scored_at = float(value), moment
    db.session.flush()
    db.session.refresh(seat)
    after = {f"{s.bid_id}/{s.criterion_id}": s.score for s in seat.scores}
    audit.record(actor, "panel.score", seat, before=before, after=after, region_id=project.region_id)
    _refresh(project, actor)


def expert_total(criteria: list[ProjectCriterion], scores: dict[int, float]) -> Optional[Decimal]:
    """One expert's technical score of a bid: Σ weight × score ÷ 100 (None until every criterion is scored)."""
    if any(c.id not in scores for c in criteria):
        return None
    return sum((Decimal(c.weight) * Decimal(repr(float(scores[c.id]))) / 100 for c in criteria), Decimal(0))


def aggregate(totals: list[Decimal], trim_min: int) -> Decimal:
    """The panel's score: the average of the experts' totals, the highest and the lowest dropped when
    there are ``trim_min`` or more; rounded to the cent."""
    values = sorted(totals)
    if len(values) >= trim_min:
        values = values[1:-1]
    return (sum(values, Decimal(0)) / len(values)).quantize(CENT, rounding=ROUND_HALF_UP)


def bid_totals(project: Project, bid: Bid) -> Optional[list[Decimal]]:
    """Every joined expert's total for ``bid``, or None while one of them has not scored it fully."""
    members = joined(project)
    if not members:
        return None
    criteria = list(project.criteria)
    totals = []
    for seat in members:
        total = expert_total(criteria, {s.criterion_id: s.score for s in seat.scores if s.bid_id == bid.id})
        if total is None:
            return None
        totals.append(total)
    return totals


def _refresh(project: Project, actor: User) -> None:
    """Set the panel's technical score of every fully scored bid; a bid no longer fully scored (a new
    expert, one removed) waits again, and so does the project."""
    if project.status not in access.SCORING_STATUSES or not has_panel(project):
        return
    trim_min = settings.get("PANEL_TRIM_MIN")
    undeclared = any(seat.status == PanelStatus.assigned for seat in sitting(project))
    waiting = False
    for bid in queries.valid_bids(project):
        totals = None if undeclared else bid_totals(project, bid)
        if totals is not None:
            services._set_score(bid, float(aggregate(totals, trim_min)), actor)
        else:
            waiting = True
            if bid.status == BidStatus.scored:
                before = audit.snapshot(bid, "status", "technical_score")
                bid.status, bid.technical_score = BidStatus.submitted, None
                db.session.flush()
                audit.record(actor, "bid.unscore", bid, before=before,
                             after=audit.snapshot(bid, "status", "technical_score"), region_id=project.region_id)
    services._recompute_scores(project)
    if waiting and project.status == ProjectStatus.evaluated:
        before = audit.snapshot(project, "status")
        project.status = ProjectStatus.bidding_closed
        db.session.flush()
        audit.record(actor, "project.reopen_evaluation", project, before=before,
                     after=audit.snapshot(project, "status"))
    services._settle(project, actor)


def refresh_after_close(project: Project, actor: User) -> None:
    """Once bidding has closed, bids of a project with a panel wait for the panel's scores."""
    _refresh(project, actor)


# --------------------------------------------------------------------------- the record


@dataclass
class ScoreLine:
    expert: str
    organization: str
    criterion: str
    score: float
    scored_at: object


def panel_record(project: Project) -> list[ScoreLine]:
    """Who scored what, when: every score of every expert who sat on the panel."""
    rows = db.session.execute(
        sa.select(PanelScore, PanelMember, Bid, ProjectCriterion)
        .join(PanelMember, PanelScore.member_id == PanelMember.id)
        .join(Bid, PanelScore.bid_id == Bid.id)
        .join(ProjectCriterion, PanelScore.criterion_id == ProjectCriterion.id)
        .where(PanelMember.project_id == project.id)
        .order_by(PanelMember.id, Bid.id, ProjectCriterion.position)).all()
    return [ScoreLine(expert=member.expert.display_name, organization=bid.organization.name,
                      criterion=str(criterion.label), score=score.score, scored_at=score.scored_at)
            for score, member, bid, criterion in rows]


def progress(project: Project) -> dict[int, int]:
    """Per panel member: how many of the bids under evaluation they scored on every criterion (after the
    award too, when the bids are won or lost)."""
    criteria = list(project.criteria)
    bids = queries.evaluated_bids(project)
    counts = {}
    for seat in project.panel:
        counts[seat.id] = sum(
            1 for bid in bids
            if expert_total(criteria, {s.criterion_id: s.score for s in seat.scores if s.bid_id == bid.id}) is not None)
    return counts
