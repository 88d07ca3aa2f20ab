"""The rules of case work: opening a case from a professional need, moving it through its stages with a
supervisor's approval of the assessment, the plan and the closure, notes and contacts (encrypted, every
read logged), services delivered, referrals and transfers. Actor passed in; flushes, never commits.

Audit events of a case record who did what and which rows changed, never the words people wrote on it
(notes, summaries, comments, answers): the audit trail is read by civil affairs of the region, the case
only by those ``access.can_read`` lets in."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable, Optional

import sqlalchemy as sa
from sqlalchemy.orm import selectinload
from flask_babel import lazy_gettext as _l

from linkage import audit, settings, uploads
from linkage.cases import access, queries
from linkage.errors import Refused
from linkage.extensions import db
from linkage.models import (HOLDING_STATUSES, Case, CaseApproval, CaseDocument, CaseNote, CaseReferral, CaseService,
                            CaseStage, CaseStatus, CaseTransfer, Decision, HandOver, MatchRun, Need, NeedStatus,
                            NoteKind, Resident, Shift, ShiftStatus, SignUp, SocialWorker, User, Volunteer)
from linkage.notifications import link, notify
from linkage.shifts.access import winning_organization_id
from linkage.timeutil import now

MIN_TEXT = 5
# The stage whose work a supervisor approves, by the stage the case is in when it is asked.
APPROVED_STAGE = {CaseStage.assessment: CaseStage.assessment, CaseStage.plan: CaseStage.plan,
                  CaseStage.review: CaseStage.closure}
# Stages the owner moves on without an approval.
FREE_STEPS = {CaseStage.intake: CaseStage.assessment, CaseStage.services: CaseStage.review}
_FIELDS = ("stage", "status", "owner_id", "assessment_due", "plan_due", "review_due", "closed_at")


class DuplicateCase(Refused):
    """The resident already has an open case: ``case`` is it (the page links to it)."""

    def __init__(self, case: Case):
        super().__init__(_l("%(name)s already has an open case: add this need to it, or ask its social worker.",
                            name=case.resident.name))
        self.case = case


def _days(name: str) -> timedelta:
    return timedelta(days=settings.get(name))


def _lock_worker(worker_id: int) -> SocialWorker:
    return db.session.execute(sa.select(SocialWorker).where(SocialWorker.id == worker_id).with_for_update()
                              .execution_options(populate_existing=True)).scalar_one()


def _lock_case(case_id: int) -> Case:
    return db.session.execute(sa.select(Case).where(Case.id == case_id).with_for_update()
                              .execution_options(populate_existing=True)).scalar_one()


def _check_caseload(worker: SocialWorker) -> None:
    if queries.remaining_caseload(worker) <= 0:
        raise Refused(_l("%(name)s already has %(limit)s open cases, their caseload limit.", name=worker.name,
                         limit=worker.caseload_limit), field="owner")


def _check_needs(needs: list[Need], owner: SocialWorker, *, by_run: bool) -> Resident:
    if not needs:
        raise Refused(_l("Choose the need the case is opened for."), field="need")
    residents = {need.resident_id for need in needs}
    if len(residents) != 1:
        raise Refused(_l("A case is about one resident: choose needs of the same resident."), field="need")
    for need in needs:
        if not need.needs_professional or need.status not in queries.OPENABLE_NEED_STATUSES:
            raise Refused(_l("The need \"%(title)s\" does not call for a social worker's case now.",
                             title=need.title), field="need")
        if not by_run and owner.organization_id not in (queries.holding_organization_id(need), (
                need.case_worker.organization_id if need.case_worker else None)):
            raise Refused(_l("The need \"%(title)s\" is not in a project your organization holds.",
                             title=need.title), field="need")
    return needs[0].resident


def _mark_needs(needs: Iterable[Need], owner: SocialWorker, actor: Optional[User], moment: datetime) -> None:
    for need in needs:
        if need.case_worker_id == owner.id and need.status != NeedStatus.open:
            continue
        before = audit.snapshot(need, "status", "case_worker_id")
        need.case_worker_id = owner.id
        if need.status == NeedStatus.open:
            need.status, need.matched_at = NeedStatus.matched, moment
        audit.record(actor, "need.assign_case", need, before=before, after=audit.snapshot(need, "status",
                                                                                          "case_worker_id"))


def open_case(needs: list[Need], owner: SocialWorker, *, actor: Optional[User],
              match_run: Optional[MatchRun] = None) -> Case:
    """Open a case for one resident's professional needs, owned by ``owner``.

    Refused when the owner's caseload is full, a need is not one the owner's organization serves, or the
    resident already has an open case (``DuplicateCase``, which names it). A match run's approval opens
    cases for its assignments (``match_run``; the approver need not belong to the organization)."""
    if match_run is None and (actor is None or not access.may_own(actor, owner)):
        raise Refused(_l("You may open cases only for yourself or your organization's social workers."),
                      field="owner")
    if not owner.active:
        raise Refused(_l("%(name)s is no longer active.", name=owner.name), field="owner")
    resident = _check_needs(needs, owner, by_run=match_run is not None)
    db.session.execute(sa.select(Resident.id).where(Resident.id == resident.id).with_for_update())
    existing = queries.open_case_of(resident.id)
    if existing is not None:
        raise DuplicateCase(existing)
    owner = _lock_worker(owner.id)
    _check_caseload(owner)
    moment = now()
    case = Case(resident=resident, organization_id=owner.organization_id, owner=owner, region_id=resident.region_id,
                title=needs[0].title, stage=CaseStage.intake, status=CaseStatus.open, match_run=match_run,
                opened_by=actor, opened_at=moment, assessment_due=moment + _days("CASE_ASSESSMENT_DAYS"),
                needs=list(needs))
    db.session.add(case)
    db.session.flush()
    _mark_needs(needs, owner, actor, moment)
    audit.record(actor, "case.open", case, after={**audit.snapshot(case, *_FIELDS), "needs": [n.id for n in needs],
                                                  "match_run_id": match_run.id if match_run else None})
    if actor is None or owner.user_id != actor.id:
        notify([owner.user_id], "case_assigned", link=link("cases.detail", case_id=case.id), title=case.title)
    return case


def join_open_case(case: Case, need: Need, *, actor: Optional[User]) -> None:
    """Add a need of the same resident to their open case (a case run's assignment for a resident who
    already has one)."""
    if need in case.needs:
        return
    case.needs.append(need)
    _mark_needs([need], case.owner, actor, now())
    audit.record(actor, "case.add_need", case, after={"need_id": need.id})


# --- stages and supervision ---------------------------------------------------------------------------

def _require_owner(case: Case, actor: User) -> None:
    if not access.can_work(actor, case):
        raise Refused(_l("Only the social worker who owns this open case may do this."))


def advance(case: Case, *, actor: User) -> None:
    """Intake → assessment and services → review: the owner moves on without an approval."""
    case = _lock_case(case.id)
    _require_owner(case, actor)
    target = FREE_STEPS.get(case.stage)
    if target is None:
        raise Refused(_l("This stage ends with a supervisor's approval: ask for it below."))
    before = audit.snapshot(case, *_FIELDS)
    case.stage = target
    audit.record(actor, "case.stage", case, before=before, after=audit.snapshot(case, *_FIELDS))


def pending_approval(case: Case) -> Optional[CaseApproval]:
    return next((a for a in case.approvals if a.decision == Decision.pending), None)


def request_approval(case: Case, *, actor: User, summary: str) -> CaseApproval:
    """Ask the owner's supervisors to approve the assessment, the plan or the closure."""
    case = _lock_case(case.id)
    _require_owner(case, actor)
    stage = APPROVED_STAGE.get(case.stage)
    if stage is None:
        raise Refused(_l("Nothing in this stage needs a supervisor's approval."))
    if pending_approval(case) is not None:
        raise Refused(_l("A request is already waiting for a supervisor's decision."))
    summary = (summary or "").strip()
    if len(summary) < MIN_TEXT:
        raise Refused(_l("Sum up what the supervisor is asked to approve (at least %(n)s characters).", n=MIN_TEXT),
                      field="summary")
    supervisors = access.supervisors_of(case.owner)
    if not supervisors:
        raise Refused(_l("No social worker of a higher level in your organization can approve this; ask your "
                         "organization to name one."))
    approval = CaseApproval(case=case, stage=stage, summary=summary, requested_by_id=actor.id, requested_at=now())
    db.session.add(approval)
    db.session.flush()
    audit.record(actor, "case.approval_request", case, after={"approval_id": approval.id, "stage": stage})
    notify([s.user_id for s in supervisors], "case_approval_requested", link=link("cases.detail", case_id=case.id),
           title=case.title)
    return approval


def _apply_approval(case: Case, stage: CaseStage, moment: datetime) -> None:
    if stage == CaseStage.assessment:
        case.stage, case.plan_due = CaseStage.plan, moment + _days("CASE_PLAN_DAYS")
    elif stage == CaseStage.plan:
        case.stage, case.review_due = CaseStage.services, moment + _days("CASE_REVIEW_DAYS")
    else:
        case.stage, case.status, case.closed_at = CaseStage.closure, CaseStatus.closed, moment
        for handover in [*case.referrals, *case.transfers]:
            if handover.status in (HandOver.pending, HandOver.accepted):
                handover.status, handover.answered_at = HandOver.revoked, moment


def decide(case: Case, *, actor: User, approve: bool, comment: str) -> CaseApproval:
    """A supervisor approves the pending request (the case moves on) or sends it back with a comment."""
    case = _lock_case(case.id)
    if not access.can_supervise(actor, case):
        raise Refused(_l("Only a supervisor of this case's social worker may decide."))
    approval = pending_approval(case)
    if approval is None:
        raise Refused(_l("No request is waiting for a decision."))
    comment = (comment or "").strip()
    if not approve and len(comment) < MIN_TEXT:
        raise Refused(_l("Say what to change before the request is sent back (at least %(n)s characters).",
                         n=MIN_TEXT), field="comment")
    moment = now()
    before = audit.snapshot(case, *_FIELDS)
    approval.decision = Decision.approved if approve else Decision.rejected
    approval.decided_by_id, approval.decided_at, approval.comment = actor.id, moment, comment
    if approve:
        _apply_approval(case, approval.stage, moment)
    audit.record(actor, "case.approve" if approve else "case.send_back", case, before=before,
                 after={**audit.snapshot(case, *_FIELDS), "approval_id": approval.id, "stage": approval.stage})
    notify([case.owner.user_id], "case_approved" if approve else "case_sent_back",
           link=link("cases.detail", case_id=case.id), title=case.title)
    return approval


# --- notes, contacts, services ------------------------------------------------------------------------

def _check_moment(moment: datetime, field: str) -> None:
    if moment > now() + timedelta(minutes=5):
        raise Refused(_l("This has not happened yet: enter a time that has passed."), field=field)
    if moment < now() - timedelta(days=366):
        raise Refused(_l("Enter a time within the last year."), field=field)


def add_note(case: Case, *, actor: User, kind: NoteKind, happened_at: datetime, text: str) -> CaseNote:
    """A note or a contact (visit, call) with its date and time; the text is stored encrypted."""
    if not access.can_write_notes(actor, case):
        raise Refused(_l("Only the case's social worker, or one a referral named, may write on this case."))
    text = (text or "").strip()
    if len(text) < MIN_TEXT:
        raise Refused(_l("Write what happened (at least %(n)s characters).", n=MIN_TEXT), field="text")
    _check_moment(happened_at, "happened_at")
    note = CaseNote(case=case, kind=kind, happened_at=happened_at, text=text, author_id=actor.id)
    db.session.add(note)
    db.session.flush()
    audit.record(actor, "case.note", case, after={"note_id": note.id, "contact": kind, "happened_at": happened_at})
    return note


@dataclass(frozen=True)
class NoteShown:
    """A note as the page shows it, read once: the committed read (``perform``) expires the rows."""
    kind: NoteKind
    happened_at: datetime
    text: str
    author: str


@dataclass(frozen=True)
class NotesRead:
    notes: list[NoteShown]
    summaries: dict[int, Optional[str]]   # approval id -> what the owner asked to approve


def read_notes(case: Case, *, actor: User) -> NotesRead:
    """The case's notes and approval summaries for one look, recorded in the access log (``case.read_notes``)."""
    if not access.can_read(actor, case):
        raise Refused(_l("You may not read this case's notes."))
    audit.record(actor, "case.read_notes", case)
    notes = db.session.scalars(sa.select(CaseNote).where(CaseNote.case_id == case.id)
                               .options(selectinload(CaseNote.author))
                               .order_by(CaseNote.happened_at.desc(), CaseNote.id.desc()))
    return NotesRead([NoteShown(n.kind, n.happened_at, n.text or "", n.author.display_name) for n in notes],
                     {a.id: a.summary for a in case.approvals})


def _check_shift(case: Case, shift: Optional[Shift]) -> None:
    if shift is None:
        return
    if shift.status == ShiftStatus.cancelled or (
            winning_organization_id(shift.project) != case.organization_id and shift.lead_id != case.owner_id):
        raise Refused(_l("Choose a shift of your organization's projects."), field="shift")


def _check_volunteers(shift: Optional[Shift], volunteers: list[Volunteer]) -> None:
    """Each volunteer named held a place on the service's shift."""
    if not volunteers:
        return
    if shift is None:
        raise Refused(_l("Choose the shift the volunteers helped on."), field="volunteers")
    holding = set(db.session.scalars(sa.select(SignUp.volunteer_id).where(
        SignUp.shift_id == shift.id, SignUp.status.in_(HOLDING_STATUSES))))
    strangers = [v.name for v in volunteers if v.id not in holding]
    if strangers:
        raise Refused(_l("%(names)s had no place on this shift: name only volunteers who held one.",
                         names=", ".join(strangers)), field="volunteers")


def record_service(case: Case, *, actor: User, description: str, delivered_at: datetime,
                   shift: Optional[Shift] = None, volunteers: Iterable[Volunteer] = ()) -> CaseService:
    """A service delivered under the case plan, possibly on a volunteer shift, naming the volunteers who
    helped (each held a place on that shift)."""
    _require_owner(case, actor)
    if case.stage not in (CaseStage.services, CaseStage.review):
        raise Refused(_l("Services are recorded once the case plan is approved."))
    description = (description or "").strip()
    if len(description) < MIN_TEXT:
        raise Refused(_l("Describe the service (at least %(n)s characters).", n=MIN_TEXT), field="description")
    _check_moment(delivered_at, "delivered_at")
    _check_shift(case, shift)
    volunteers = list(dict.fromkeys(v for v in volunteers if v is not None))
    _check_volunteers(shift, volunteers)
    service = CaseService(case=case, description=description, delivered_at=delivered_at, shift=shift,
                          recorded_by_id=actor.id, volunteers=volunteers)
    db.session.add(service)
    db.session.flush()
    audit.record(actor, "case.service", case, after={**audit.snapshot(service, "id", "delivered_at", "shift_id"),
                                                     "volunteer_ids": [v.id for v in volunteers]})
    return service


# --- documents ------------------------------------------------------------------------------------------

DOCUMENTS = "cases"   # the documents' folder under the instance's uploads (linkage/uploads.py); encrypted


def upload_document(case: Case, *, actor: User, title: str, file_name: str, content: bytes) -> CaseDocument:
    """A document on the case (the owner, or a social worker whose referral was accepted): checked by
    ``uploads.check``, its bytes stored encrypted under a random name in the instance folder."""
    if not access.can_write_notes(actor, case):
        raise Refused(_l("Only the case's social worker, or one a referral named, may add documents to this case."))
    title = (title or "").strip()
    if not title:
        raise Refused(_l("Give the document a title."), field="title")
    if len(title) > 200:
        raise Refused(_l("The title is too long (at most %(n)s characters).", n=200), field="title")
    extension = uploads.check(file_name, content)
    document = CaseDocument(case=case, title=title, file_name=file_name.strip(), extension=extension,
                            stored_name=uploads.new_name(), size=len(content), uploaded_by_id=actor.id,
                            uploaded_at=now())
    uploads.store_with_row(DOCUMENTS, document, content, encrypted=True)
    audit.record(actor, "case.document_upload", case, after={"document_id": document.id, "extension": extension,
                                                             "size": document.size})
    return document


def read_document(case: Case, document_id: int, *, actor: User) -> tuple[CaseDocument, bytes]:
    """A document's bytes for one download, recorded in the access log (``case.read_document``);
    Refused when the actor may not read the case or the document is not the case's."""
    if not access.can_read(actor, case):
        raise Refused(_l("You may not read this case's documents."))
    document = db.session.get(CaseDocument, document_id)
    if document is None or document.case_id != case.id:
        raise Refused(_l("This case has no such document."))
    content = uploads.read_stored(DOCUMENTS, document.stored_name, _l("The document's file is missing from the server."))
    audit.record(actor, "case.read_document", case, after={"document_id": document.id})
    return document, content


# --- referrals and transfers --------------------------------------------------------------------------

def refer(case: Case, *, actor: User, worker: SocialWorker, reason: str) -> CaseReferral:
    """Ask another social worker to help on the case; the owner keeps it."""
    case = _lock_case(case.id)
    _require_owner(case, actor)
    if worker.id == case.owner_id or not worker.active or worker.user_id is None:
        raise Refused(_l("Choose another active social worker."), field="worker")
    if any(r.worker_id == worker.id and r.status in (HandOver.pending, HandOver.accepted) for r in case.referrals):
        raise Refused(_l("%(name)s is already named by a referral on this case.", name=worker.name), field="worker")
    reason = (reason or "").strip()
    if len(reason) < MIN_TEXT:
        raise Refused(_l("Say what help is asked for (at least %(n)s characters).", n=MIN_TEXT), field="reason")
    referral = CaseReferral(case=case, worker=worker, reason=reason, requested_by_id=actor.id, requested_at=now())
    db.session.add(referral)
    db.session.flush()
    audit.record(actor, "case.refer", case, after={"referral_id": referral.id, "worker_id": worker.id})
    notify([worker.user_id], "case_referred", link=link("cases.detail", case_id=case.id), title=case.title)
    return referral


def _pending_referral_for(case: Case, actor: User) -> CaseReferral:
    worker = access.social_worker_of(actor)
    referral = next((r for r in case.referrals if worker is not None and r.worker_id == worker.id
                     and r.status == HandOver.pending), None)
    if referral is None or not case.is_open:
        raise Refused(_l("No referral on this case waits for your answer."))
    return referral


def answer_referral(case: Case, *, actor: User, accept: bool, answer: str = "") -> CaseReferral:
    """The social worker a referral names accepts or declines it."""
    case = _lock_case(case.id)
    referral = _pending_referral_for(case, actor)
    referral.status = HandOver.accepted if accept else HandOver.declined
    referral.answered_at, referral.answer = now(), (answer or "").strip()
    audit.record(actor, "case.referral_accept" if accept else "case.referral_decline", case,
                 after={"referral_id": referral.id})
    notify([case.owner.user_id], "referral_answered", link=link("cases.detail", case_id=case.id),
           title=case.title, name=referral.worker.name)
    return referral


def revoke_referral(case: Case, referral_id: Optional[int], *, actor: User) -> CaseReferral:
    """The owner withdraws a referral (waiting or accepted): the social worker it named loses access."""
    case = _lock_case(case.id)
    _require_owner(case, actor)
    referral = next((r for r in case.referrals if r.id == referral_id
                     and r.status in (HandOver.pending, HandOver.accepted)), None)
    if referral is None:
        raise Refused(_l("Choose a referral of this case that is waiting or accepted."))
    referral.status, referral.answered_at = HandOver.revoked, now()
    audit.record(actor, "case.referral_revoke", case, after={"referral_id": referral.id})
    return referral


def request_transfer(case: Case, *, actor: User, worker: SocialWorker, reason: str) -> CaseTransfer:
    """Offer the case to another social worker of the organization; ownership moves when they accept."""
    case = _lock_case(case.id)
    _require_owner(case, actor)
    if any(t.status == HandOver.pending for t in case.transfers):
        raise Refused(_l("A transfer of this case already waits for an answer."))
    if (worker.id == case.owner_id or not worker.active or worker.user_id is None
            or worker.organization_id != case.organization_id):
        raise Refused(_l("Choose another active social worker of your organization."), field="worker")
    reason = (reason or "").strip()
    if len(reason) < MIN_TEXT:
        raise Refused(_l("Say why the case moves (at least %(n)s characters).", n=MIN_TEXT), field="reason")
    transfer = CaseTransfer(case=case, from_worker_id=case.owner_id, to_worker=worker, reason=reason,
                            requested_by_id=actor.id, requested_at=now())
    db.session.add(transfer)
    db.session.flush()
    audit.record(actor, "case.transfer_request", case, after={"transfer_id": transfer.id, "worker_id": worker.id})
    notify([worker.user_id], "case_transfer_offered", link=link("cases.detail", case_id=case.id), title=case.title)
    return transfer


def answer_transfer(case: Case, *, actor: User, accept: bool, answer: str = "") -> CaseTransfer:
    """The receiver accepts (becomes the owner; the old owner loses access) or declines."""
    case = _lock_case(case.id)
    worker = access.social_worker_of(actor)
    transfer = next((t for t in case.transfers if worker is not None and t.to_worker_id == worker.id
                     and t.status == HandOver.pending), None)
    if transfer is None or not case.is_open or not worker.active:
        raise Refused(_l("No transfer of this case waits for your answer."))
    before = audit.snapshot(case, *_FIELDS)
    old_owner = case.owner
    if accept:
        _check_caseload(_lock_worker(worker.id))
        case.owner_id = worker.id
        for need in case.needs:
            need.case_worker_id = worker.id
        db.session.flush()
        db.session.refresh(case, ["owner"])
    transfer.status = HandOver.accepted if accept else HandOver.declined
    transfer.answered_at, transfer.answer = now(), (answer or "").strip()
    audit.record(actor, "case.transfer_accept" if accept else "case.transfer_decline", case, before=before,
                 after={**audit.snapshot(case, *_FIELDS), "transfer_id": transfer.id})
    notify([old_owner.user_id], "case_transfer_answered", title=case.title, name=worker.name)
    return transfer


# --- reassigning the cases of a social worker who left --------------------------------------------------

def _check_new_owner(old: SocialWorker, new: Optional[SocialWorker]) -> None:
    if (new is None or new.id == old.id or not new.active or new.user_id is None
            or new.organization_id != old.organization_id):
        raise Refused(_l("Choose another active social worker of the organization."), field="worker")


def _hand_to(case: Case, new: SocialWorker, actor: User, moment: datetime) -> None:
    """Make ``new`` the owner: the case's needs follow; a transfer still waiting and a referral naming the
    new owner lapse (the owner needs neither)."""
    before = audit.snapshot(case, *_FIELDS)
    old_id = case.owner_id
    case.owner_id = new.id
    for need in case.needs:
        need.case_worker_id = new.id
    for handover in case.transfers:
        if handover.status == HandOver.pending:
            handover.status, handover.answered_at = HandOver.revoked, moment
    for referral in case.referrals:
        if referral.worker_id == new.id and referral.status in (HandOver.pending, HandOver.accepted):
            referral.status, referral.answered_at = HandOver.revoked, moment
    db.session.flush()
    audit.record(actor, "case.reassign", case, before=before,
                 after={**audit.snapshot(case, *_FIELDS), "from_worker_id": old_id})
    notify([new.user_id], "case_assigned", link=link("cases.detail", case_id=case.id), title=case.title)


def reassign_cases(old: SocialWorker, new: Optional[SocialWorker], *, actor: User) -> list[Case]:
    """Hand every open case of a social worker no longer active to ``new`` (of the same organization), all
    or none: refused when ``new``'s caseload has no room for them all. The organization's admin or a
    supervisor of ``old`` does it; ``new`` is told of each case."""
    if not access.can_reassign(actor, old):
        raise Refused(_l("Only the organization's admin or a supervisor may reassign these cases."))
    if old.active:
        raise Refused(_l("%(name)s is still active: they transfer their own cases.", name=old.name))
    _check_new_owner(old, new)
    new = _lock_worker(new.id)
    cases = queries.open_cases_of(old, lock=True)
    if not cases:
        raise Refused(_l("%(name)s has no open cases.", name=old.name))
    room = queries.remaining_caseload(new)
    if room < len(cases):
        raise Refused(_l("%(name)s can take %(room)s more cases (limit %(limit)s); %(count)s are to be reassigned.",
                         name=new.name, room=room, limit=new.caseload_limit, count=len(cases)), field="worker")
    moment = now()
    for case in cases:
        _hand_to(case, new, actor, moment)
    return cases
