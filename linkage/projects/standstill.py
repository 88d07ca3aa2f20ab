"""Remedies around the award, as Ukraine's Prozorro runs them.

- After the award notice (``Project.awarded_at``) a bidding organization's admin may file a complaint
  for ``COMPLAINT_WINDOW_DAYS``; civil affairs answer it (upheld: the award is set aside and the bids
  are evaluated again; dismissed: the award stands), and the record is kept.
- The contract may not be signed during ``STANDSTILL_DAYS`` after the award notice, nor while a
  complaint is open: ``contract_signing_refusal`` says why, and ``services.mark_contracted`` asks it.
- Changing a published project's terms after bids came in sends those bids back to their
  organizations to be confirmed again; a change less than ``AMENDMENT_MIN_HOURS`` before the deadline
  moves the deadline to that long after the change.

Every function takes the acting user, flushes and never commits.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Optional

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from linkage import audit, settings
from linkage.errors import Refused
from linkage.extensions import db
from linkage.models import (Bid, BidStatus, Complaint, ComplaintStatus, Need, NeedStatus, Organization, Project,
                            ProjectStatus, User)
from linkage.notifications import link, notify
from linkage.organizations.queries import civil_affairs_covering, organization_users
from linkage.projects import queries, services
from linkage.timeutil import local_day_start, now

MAX_COMPLAINT = 5000


# --------------------------------------------------------------------------- the standstill


def complaint_deadline(project: Project) -> Optional[datetime]:
    """Until when bidders may complain about the award (None before the award notice)."""
    if project.awarded_at is None:
        return None
    return project.awarded_at + timedelta(days=settings.get("COMPLAINT_WINDOW_DAYS"))


def standstill_end(project: Project) -> Optional[datetime]:
    """When the contract may be signed at the earliest (None before the award notice)."""
    if project.awarded_at is None:
        return None
    return project.awarded_at + timedelta(days=settings.get("STANDSTILL_DAYS"))


def open_complaints(project: Project) -> list[Complaint]:
    return list(db.session.scalars(sa.select(Complaint).where(
        Complaint.project_id == project.id, Complaint.status == ComplaintStatus.open).order_by(Complaint.id)))


def complaints_of(project: Project, org: Optional[Organization] = None) -> list[Complaint]:
    """A project's complaints, oldest first (only ``org``'s when given)."""
    query = sa.select(Complaint).where(Complaint.project_id == project.id)
    if org is not None:
        query = query.where(Complaint.organization_id == org.id)
    return list(db.session.scalars(query.order_by(Complaint.id)))


def contract_signing_refusal(project: Project):
    """Why the awarded project's contract cannot be signed now (words), or None when it can."""
    if project.status != ProjectStatus.awarded or project.awarded_at is None:
        return None
    end = standstill_end(project)
    if now() < end:
        return _l("The standstill after the award notice lasts until %(until)s; the contract can be signed "
                  "after that.", until=services.local_text(end))
    pending = open_complaints(project)
    if pending:
        return _l("A complaint by %(org)s is under review; answer it before the contract is signed.",
                  org=pending[0].organization.name)
    return None


# --------------------------------------------------------------------------- complaints


def complaint_window_open(project: Project, moment: Optional[datetime] = None) -> bool:
    deadline = complaint_deadline(project)
    return (project.status == ProjectStatus.awarded and deadline is not None
            and (moment or now()) < deadline)


def file_complaint(project: Project, org: Organization, text: str, *, actor: User) -> Complaint:
    """A bidding organization's complaint about the award, within the window after the award notice."""
    project = services._lock(project)
    bid = queries.own_bid(project, org)
    if bid is None or bid.status == BidStatus.draft:
        raise Refused(_l("Only an organization that bid on this project may complain about its award."))
    if project.status != ProjectStatus.awarded or project.awarded_at is None:
        raise Refused(_l("Complaints are filed after the award notice and before the contract."))
    deadline = complaint_deadline(project)
    if now() >= deadline:
        raise Refused(_l("The complaint window closed at %(deadline)s.", deadline=services.local_text(deadline)))
    text = (text or "").strip()
    if not text:
        raise Refused(_l("Say what you complain about and why."), field="text")
    if len(text) > MAX_COMPLAINT:
        raise Refused(_l("Keep the complaint under %(n)s characters.", n=MAX_COMPLAINT), field="text")
    if any(c.organization_id == org.id for c in open_complaints(project)):
        raise Refused(_l("Your organization already has a complaint under review for this project."))
    complaint = Complaint(project=project, organization=org, text=text, filed_by=actor, filed_at=now(),
                          status=ComplaintStatus.open)
    db.session.add(complaint)
    db.session.flush()
    audit.record(actor, "complaint.file", complaint, after=audit.snapshot(complaint, "status", "text"),
                 region_id=project.region_id)
    notify(civil_affairs_covering(project.region), "complaint_filed",
           link=link("projects.complaints", project_id=project.id), org=org.name, title=project.title)
    return complaint


def answer_complaint(complaint: Complaint, upheld: bool, answer: str, *, actor: User) -> None:
    """Civil affairs' answer: upheld sets the award aside (the evaluation reopens), dismissed lets it stand."""
    project = services._lock(complaint.project)
    db.session.refresh(complaint)
    if complaint.status != ComplaintStatus.open:
        raise Refused(_l("This complaint was already answered."))
    answer = (answer or "").strip()
    if not answer:
        raise Refused(_l("Write the answer; the organization reads it."), field="answer")
    before = audit.snapshot(complaint, "status", "answer")
    complaint.status = ComplaintStatus.upheld if upheld else ComplaintStatus.dismissed
    complaint.answer, complaint.answered_by, complaint.answered_at = answer, actor, now()
    db.session.flush()
    audit.record(actor, "complaint.answer", complaint, before=before,
                 after=audit.snapshot(complaint, "status", "answer"), note=answer, region_id=project.region_id)
    notify(organization_users(complaint.organization), "complaint_upheld" if upheld else "complaint_dismissed",
           link=link("projects.complaints", project_id=project.id), title=project.title)
    if upheld and project.status == ProjectStatus.awarded:
        set_aside_award(project, answer, actor)


def set_aside_award(project: Project, reason: str, actor: User) -> None:
    """Undo the award: the bids are scored again (none won or lost), the needs open, the project evaluated."""
    before = audit.snapshot(project, "status", "status_reason", "awarded_at")
    bids = db.session.scalars(sa.select(Bid).where(
        Bid.project_id == project.id, Bid.status.in_((BidStatus.won, BidStatus.lost)))).all()
    for bid in bids:
        bid_before = audit.snapshot(bid, "status")
        bid.status = BidStatus.scored
        audit.record(actor, "bid.award_set_aside", bid, before=bid_before, after=audit.snapshot(bid, "status"),
                     region_id=project.region_id)
    for need in db.session.scalars(sa.select(Need).where(Need.project_id == project.id,
                                                         Need.status == NeedStatus.matched)):
        need_before = audit.snapshot(need, "status")
        need.status, need.matched_at = NeedStatus.open, None
        audit.record(actor, "need.unmatch", need, before=need_before, after=audit.snapshot(need, "status"),
                     note=project.title)
    project.status, project.status_reason, project.awarded_at = ProjectStatus.evaluated, reason, None
    db.session.flush()
    audit.record(actor, "project.award_set_aside", project, before=before,
                 after=audit.snapshot(project, "status", "status_reason", "awarded_at"), note=reason)


# --------------------------------------------------------------------------- changes to the terms


def terms_changed(project: Project, actor: User) -> None:
    """The terms of a published project changed: bids already in go back to their organizations to be
    confirmed again, and a change close to the deadline moves the deadline."""
    extend_deadline(project, actor)
    for bid in db.session.scalars(sa.select(Bid).where(
            Bid.project_id == project.id, Bid.status == BidStatus.submitted).order_by(Bid.id)):
        before = audit.snapshot(bid, "status")
        bid.status, bid.status_reason = BidStatus.draft, ""
        db.session.flush()
        audit.record(actor, "bid.needs_reconfirmation", bid, before=before, after=audit.snapshot(bid, "status"),
                     region_id=project.region_id)
        notify(organization_users(bid.organization), "bid_reconfirm", link=link("projects.bid", project_id=project.id),
               title=project.title, deadline=project.bidding_deadline)


def extend_deadline(project: Project, actor: User) -> None:
    """A change less than AMENDMENT_MIN_HOURS before the deadline moves the deadline that long after it."""
    hours = settings.get("AMENDMENT_MIN_HOURS")
    earliest = now() + timedelta(hours=hours)
    if project.bidding_deadline >= earliest:
        return
    if earliest >= local_day_start(project.service_start):
        raise Refused(_l("This change comes less than %(hours)s hours before the deadline, so the deadline must "
                         "move to %(deadline)s, which is not before the service starts: move the service start "
                         "first.", hours=hours, deadline=services.local_text(earliest)))
    before = audit.snapshot(project, "bidding_deadline")
    project.bidding_deadline = earliest
    db.session.flush()
    audit.record(actor, "project.deadline_extend", project, before=before,
                 after=audit.snapshot(project, "bidding_deadline"))


_TERMS = tuple(name for name in services._PROJECT_FIELDS if name not in ("bidding_deadline", "status"))


def amend_project(project: Project, data: services.ProjectData, *, actor: User) -> bool:
    """Change a published project while the bidding is open. The deadline may only move later; any other
    change is a change of the terms (see ``terms_changed``). Returns whether the terms changed."""
    project = services._lock(project)
    if not project.bidding_open(now()):
        raise Refused(_l("A project can be changed while it is a draft or open for bids."))
    current = project.bidding_deadline
    if data.bidding_deadline.astimezone(current.tzinfo).replace(second=0, microsecond=0) == \
            current.replace(second=0, microsecond=0):
        data.bidding_deadline = current  # the form shows whole minutes: unchanged
    if data.bidding_deadline < current:
        raise Refused(_l("While bidding is open the deadline can only move later."), field="bidding_deadline")
    services._check_project(data, actor, project)
    before = services._snapshot(project)
    categories = sorted(c.id for c in project.categories)
    services._apply(project, data)
    db.session.flush()
    after = services._snapshot(project)
    changed = (any(before[name] != after[name] for name in _TERMS) or before["need_ids"] != after["need_ids"]
               or categories != sorted(c.id for c in project.categories))
    if before == after and not changed:
        return False
    audit.record(actor, "project.amend", project, before=before, after=after)
    if changed:
        terms_changed(project, actor)
    return changed

