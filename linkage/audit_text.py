"""How the audit trail reads: actions, subjects, fields and values in the reader's language.

Events store codes (``project.create``, ``status: "open"``); pages show "项目已创建" and
"状态：待审核 → 开放". Anything without a label here is shown as a neutral placeholder, never as a code.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any, Optional

import sqlalchemy as sa
from babel.dates import get_day_names
from flask_babel import format_date, format_datetime, get_locale, lazy_gettext as _l
from markupsafe import Markup, escape

from linkage.extensions import db
from linkage.models import (AccountStatus, BidStatus, CaseStage, CaseStatus, CertificateStatus, ComplaintStatus,
                            ConsentChannel, ConsentPurpose,
                            CorrectionStatus, ExceptionKind, FollowUpStatus, HoursStatus, NeedChannel, NeedStatus,
                            NoteKind, OrgStatus, OrgType, PanelStatus, ProofSource, ProofStatus,
                            ProjectStatus, Recurrence, Role, ShiftStatus, SignUpStatus, Skill, VolunteerStatus,
                            VulnerableTag,
                            WorkerLevel)
from linkage.models import Category, Organization, Project, Region, Shift, SocialWorker, User, Volunteer
from linkage.models.contracts import ChangeStatus, ContractStatus, Milestone
from linkage.models.matching import MatchKind, MatchStatus
from linkage.models.meetings import DecisionStatus, MeetingStatus

ACTIONS = {
    "bid.disqualify": _l("Bid disqualified"), "bid.lose": _l("Bid lost"), "bid.score": _l("Bid scored"),
    "bid.submit": _l("Bid submitted"), "bid.update": _l("Bid changed"), "bid.win": _l("Bid won"),
    "bid.withdraw": _l("Bid withdrawn"),
    "change.approve": _l("Change approved"), "change.decline": _l("Change declined"),
    "change.request": _l("Change requested"),
    "contract.assign_evaluator": _l("Evaluator assigned"), "contract.create": _l("Contract drawn up"),
    "contract.renew": _l("Contract renewed"), "contract.sign": _l("Contract signed"),
    "contract.change": _l("Contract changed as approved"),
    "document.upload": _l("Document uploaded"), "evaluation.final": _l("Final evaluation recorded"),
    "evaluation.midterm": _l("Mid-term check recorded"), "installment.release": _l("Installment due"),
    "payment.record": _l("Payment recorded"),
    "project.complete": _l("Project completed"), "project.final": _l("Project finally evaluated"),
    "project.midterm": _l("Project passed its mid-term check"),
    "bid.unscore": _l("Bid waits for the panel's scores"),
    "bid.needs_reconfirmation": _l("Bid to be confirmed again (terms changed)"),
    "bid.award_set_aside": _l("Award set aside for this bid"),
    "complaint.file": _l("Complaint filed"), "complaint.answer": _l("Complaint answered"),
    "need.unmatch": _l("Need open again (award set aside)"),
    "panel.assign": _l("Expert put on the panel"), "panel.remove": _l("Expert taken off the panel"),
    "panel.declare": _l("Conflict-of-interest declaration"), "panel.score": _l("Expert scores entered"),
    "project.criteria": _l("Evaluation criteria changed"), "project.amend": _l("Terms changed while open for bids"),
    "project.deadline_extend": _l("Bidding deadline extended"),
    "project.republish": _l("Failed project published again"),
    "project.reopen_evaluation": _l("Evaluation reopened"),
    "project.award_set_aside": _l("Award set aside"),
    "case.open": _l("Case opened"), "case.add_need": _l("Need added to the case"),
    "case.stage": _l("Case moved to the next stage"), "case.approval_request": _l("Approval asked for"),
    "case.approve": _l("Approved by the supervisor"), "case.send_back": _l("Sent back by the supervisor"),
    "case.note": _l("Case note written"), "case.read_notes": _l("Case notes read"),
    "case.document_upload": _l("Document added to the case"), "case.read_document": _l("Case document downloaded"),
    "case.reassign": _l("Case handed to another social worker (the owner left)"),
    "case.service": _l("Service recorded on the case"), "case.refer": _l("Case referred"),
    "case.referral_accept": _l("Referral accepted"), "case.referral_decline": _l("Referral declined"),
    "case.referral_revoke": _l("Referral revoked"), "case.transfer_request": _l("Case transfer offered"),
    "case.transfer_accept": _l("Case transfer accepted"), "case.transfer_decline": _l("Case transfer declined"),
    "match_run.approve": _l("Match run approved"), "match_run.create": _l("Match run started"),
    "match_run.fail": _l("Match run failed"), "match_run.finish": _l("Match run finished"),
    "match_run.reject": _l("Match run rejected"), "match_run.pin": _l("Pairing pinned"),
    "match_run.forbid": _l("Pairing forbidden"),
    "match_run.retry_part": _l("Part of a match run queued again after its worker stopped"),
    "need.flag_overdue": _l("Need past its response target"), "need.escalate": _l("Need escalated to the street"),
    "response_target.set": _l("Response target set"), "response_target.reset": _l("Response target back to the default"),
    "need.assign_case": _l("Case assigned"), "need.deliver": _l("Service delivered"), "need.expire": _l("Need expired"),
    "need.match": _l("Need matched"), "need.rate": _l("Service rated"), "need.reject": _l("Need rejected"),
    "need.submit": _l("Need submitted"), "need.join": _l("Resident joined a need"),
    "need.merge": _l("Duplicate need merged"), "need.retention_batch": _l("Closed needs' personal details removed"),
    "resident.export": _l("Resident's data exported by staff"), "resident.export_own": _l("Resident exported their data"),
    "resident.anonymize": _l("Resident anonymized"), "resident.claim": _l("Account claims a resident record"),
    "need.import_paper_records": _l("Past paper records of needs imported"),
    "resident.link": _l("Account linked to a resident record"),
    "volunteer.claim": _l("Account claims a volunteer record"),
    "volunteer.link": _l("Account linked to a volunteer record"),
    "resident.consent_record": _l("Resident's consent recorded"),
    "resident.consent_withdraw": _l("Resident's consent withdrawn"), "need.absorb": _l("Duplicate merged into this need"), "need.verify": _l("Need verified"), "need.withdraw": _l("Need withdrawn"),
    "organization.register": _l("Organization registered"), "organization.resubmit": _l("Registration resubmitted"),
    "organization.update": _l("Organization changed"), "organization.verify": _l("Organization verified"),
    "organization.reject": _l("Organization not verified"), "organization.suspend": _l("Organization suspended"),
    "organization.blacklist": _l("Organization blacklisted"),
    "organization.reinstate": _l("Organization reinstated"),
    "project.award": _l("Project awarded"), "project.cancel": _l("Project cancelled"),
    "project.close": _l("Bidding closed"), "project.contract": _l("Contract recorded"),
    "project.create": _l("Project created"), "project.evaluate": _l("Bids evaluated"),
    "project.fail": _l("Project failed"), "project.publish": _l("Project published"),
    "project.start": _l("Project started"), "project.update": _l("Project changed"),
    "resident.register": _l("Resident registered"), "resident.reveal_id": _l("Full ID number viewed"),
    "resident.import": _l("Residents imported from a spreadsheet"), "list.export": _l("List exported"),
    "seed.demo": _l("Demo district created"),
    "shift.cancel": _l("Shift cancelled"), "shift.close": _l("Shift closed"), "shift.create": _l("Shift created"),
    "shift.update": _l("Shift changed"),
    "shift_series.create": _l("Weekly series of shifts created"),
    "shift_series.update": _l("Weekly series of shifts changed"),
    "signup.assign": _l("Place assigned"), "signup.cancel": _l("Sign-up cancelled"),
    "signup.check_in": _l("Checked in"), "signup.check_out": _l("Checked out"), "signup.create": _l("Signed up"),
    "signup.hours_approve": _l("Hours approved"), "signup.hours_decline": _l("Hours declined"),
    "signup.no_show": _l("No-show recorded"), "signup.promote": _l("Moved up from the waiting list"),
    "signup.waitlist": _l("Put on the waiting list"), "signup.offer": _l("Place offered from the waiting list"),
    "signup.accept_offer": _l("Offered place accepted"), "signup.decline_offer": _l("Offered place declined"),
    "signup.offer_expire": _l("Offered place not accepted in time"), "signup.move": _l("Place moved to another slot"),
    "social_worker.activate": _l("Social worker reactivated"), "social_worker.add": _l("Social worker added"),
    "social_worker.deactivate": _l("Social worker deactivated"),
    "social_worker.login": _l("Social worker account created"), "social_worker.update": _l("Social worker changed"),
    "user.activate": _l("Account reactivated"), "user.create": _l("Account created"),
    "user.password_change": _l("Password changed"), "user.reject": _l("Account not accepted"),
    "user.status": _l("Account status changed"), "user.suspend": _l("Account suspended"),
    "user.logout": _l("Signed out on every device"), "user.login_failed": _l("Failed log-in"),
    "user.login_locked": _l("Log-in refused: too many failed attempts"),
    "user.register_taken": _l("Registration tried with this username"),
    "user.verify": _l("Account verified"),
    "hours_correction.file": _l("Correction of hours asked for"),
    "hours_correction.approve": _l("Correction of hours approved"),
    "hours_correction.reject": _l("Correction of hours rejected"),
    "certificate.request": _l("Service certificate asked for"), "certificate.issue": _l("Service certificate issued"),
    "volunteer_complaint.record": _l("Complaint about a volunteer recorded"),
    "volunteer_complaint.answer": _l("Complaint answered by the volunteer"),
    "meeting.convene": _l("Joint meeting convened"), "meeting.add_item": _l("Item added to a meeting's agenda"),
    "meeting.record_minutes": _l("Minutes of a joint meeting recorded"), "meeting.cancel": _l("Joint meeting cancelled"),
    "meeting_decision.create": _l("Decision of a joint meeting recorded"),
    "meeting_decision.close": _l("Decision of a joint meeting carried out"),
    "skill_certificate.claim": _l("Skill certificate sent for approval"),
    "skill_certificate.approve": _l("Skill certificate approved"),
    "skill_certificate.reject": _l("Skill certificate rejected"),
    "skill_certificate.read": _l("Skill certificate opened"),
    "skill_certificate.grant": _l("Skill certificate granted by a training session"),
    "volunteer.supervision_note": _l("Supervision note written"),
    "visit.rate": _l("Visit rated"), "follow_up.open": _l("Follow-up of a low rating opened"),
    "follow_up.close": _l("Follow-up closed"),
    "category.add": _l("Taxonomy entry added"), "category.rename": _l("Taxonomy entry renamed"),
    "category.retire": _l("Taxonomy entry retired"), "skill.add": _l("Skill added"),
    "skill.rename": _l("Skill renamed"), "skill.retire": _l("Skill retired"), "region.add": _l("Region added"),
    "region.rename": _l("Region renamed"), "region.retire": _l("Region retired"),
    "volunteer.block": _l("Self sign-up suspended"), "volunteer.calendar_link": _l("Calendar link made"), "volunteer.update": _l("Volunteer profile changed"),
    "volunteer.consent_record": _l("Guardian's consent recorded"),
    "volunteer.consent_withdraw": _l("Guardian's consent withdrawn"),
    "volunteer.consent_read": _l("Signed consent form downloaded"),
    "volunteer.exception_add": _l("One-off change to availability added"),
    "volunteer.exception_remove": _l("One-off change to availability removed"),
}

SUBJECTS = {
    "Case": _l("Case"),
    "Bid": _l("Bid"), "ChangeRequest": _l("Change request"), "Contract": _l("Contract"),
    "Document": _l("Document"), "Evaluation": _l("Evaluation"), "Installment": _l("Installment"),
    "Payment": _l("Payment"), "MatchRun": _l("Match run"), "Need": _l("Need"), "Organization": _l("Organization"),
    "Project": _l("Project"), "Region": _l("Region"), "Resident": _l("Resident"), "Shift": _l("Shift"),
    "ShiftSeries": _l("Weekly series of shifts"),
    "SignUp": _l("Sign-up"), "SocialWorker": _l("Social worker"), "User": _l("Account"),
    "Volunteer": _l("Volunteer"), "PanelMember": _l("Panel member"), "Complaint": _l("Complaint"),
    "ResponseTarget": _l("Response target"),
    "HoursCorrection": _l("Correction of hours"), "Certificate": _l("Service certificate"),
    "VolunteerComplaint": _l("Complaint about a volunteer"),
    "Meeting": _l("Joint meeting"), "MeetingDecision": _l("Decision of a joint meeting"),
    "SkillCertificate": _l("Skill certificate"),
    "VisitRating": _l("Visit rating"), "FollowUp": _l("Follow-up"), "Category": _l("Taxonomy entry"),
    "Skill": _l("Skill"),
}

FIELDS = {
    "day": _l("Date"), "relation": _l("Relation to the volunteer"), "id_number_index": _l("ID number"),
    "exception_kind": _l("Away or also free"), "consent_recorded_at": _l("Consent recorded"),
    "consent_withdrawn_at": _l("Consent withdrawn"), "purpose": _l("Consented to"),
    "active": _l("Active"), "amount": _l("Amount"), "evaluator_id": _l("Evaluator"),
    "rows": _l("Rows"),
    "file_name": _l("File name"), "installment_id": _l("Installment"), "installments": _l("Installments"),
    "milestone": _l("Milestone"), "passed": _l("Passed"), "ratings": _l("Ratings"), "renewals": _l("Renewals"),
    "satisfaction": _l("Satisfaction"), "score": _l("Score"), "size": _l("Size (bytes)"),
    "spent_share": _l("Share paid (%)"), "target_residents": _l("Target residents"),
    "target_visits": _l("Target visits"), "targets_met": _l("Targets met (%)"), "term_end": _l("Term ends"),
    "term_start": _l("Term starts"), "team": _l("Team"), "new_end": _l("New end of the service"), "availability": _l("Availability"), "bid_id": _l("Bid"), "birth_date": _l("Birth date"),
    "bidding_deadline": _l("Bidding deadline"), "bound": _l("Bound"), "budget": _l("Budget"),
    "by_code": _l("By the volunteer with the shift code"), "calendar_link": _l("Calendar link"),
    "capacity": _l("Capacity"), "caseload_limit": _l("Caseload limit"), "case_worker_id": _l("Case worker"),
    "category_id": _l("Category"), "certificate_no": _l("Certificate number"), "checked_in_at": _l("Checked in"),
    "checked_out_at": _l("Checked out"), "checkout_defaulted": _l("Check-out defaulted"),
    "child_run": _l("Re-run"), "match_run_id": _l("Match run"), "part": _l("Part"), "attempts": _l("Tries"),
    "check_outs_defaulted": _l("Check-outs set to the planned end"), "consent_at": _l("Consent given"), "counts": _l("Counts"),
    "credit_code": _l("Unified social credit code"), "description": _l("Description"), "end": _l("End"),
    "first_come": _l("First come, first served"), "founded_on": _l("Founded"), "grade": _l("Grade"),
    "grade_awarded_on": _l("Grade awarded"), "guardian_consent": _l("Guardian's consent"),
    "hours_manual": _l("Entered by hand"), "hours_status": _l("Hours"), "insurance_note": _l("Insurance"),
    "latitude": _l("Latitude"), "lead_id": _l("Lead"), "left": _l("Pairing"), "level": _l("Level"),
    "logins": _l("Demo log-ins"), "longitude": _l("Longitude"), "max_travel_km": _l("Travel distance (km)"),
    "min_grade": _l("Minimum grade"), "min_volunteers": _l("Minimum volunteers"),
    "min_years": _l("Minimum years since founding"), "minutes": _l("Minutes"), "name": _l("Name"),
    "needs": _l("Needs"), "need_ids": _l("Needs"), "no_show_count": _l("No-shows"),
    "no_violation_declared": _l("No violation declared"), "objective": _l("Objective"),
    "on_behalf": _l("On behalf of the resident"), "org_type": _l("Organization type"),
    "organization_id": _l("Organization"), "panel_score": _l("Panel score"), "phone": _l("Phone"),
    "place": _l("Place"), "price": _l("Price"), "price_weight": _l("Price weight"), "project_id": _l("Project"),
    "rating": _l("Rating"), "region_id": _l("Region"), "requires_insurance": _l("Accident insurance required"),
    "required_worker_level": _l("Required social worker level"), "required_workers": _l("Social workers required"),
    "right": _l("Pairing"), "role": _l("Role"), "scale": _l("Scale"), "seed": _l("Random seed"),
    "self_signup_blocked_until": _l("Self sign-up suspended until"), "service_end": _l("Service ends"),
    "service_start": _l("Service starts"), "shift_id": _l("Shift"), "shift_status": _l("Shift status"),
    "offer_expires_at": _l("Answer by"), "offered_next": _l("Offered to the next in line"),
    "skills": _l("Skills"), "slot_id": _l("Slot"), "slots": _l("Slots"), "start": _l("Start"),
    "status": _l("Status"), "status_reason": _l("Reason"), "tags": _l("Vulnerable groups"),
    "target_beneficiaries": _l("Target beneficiaries"), "target_hours": _l("Target service hours"),
    "technical_score": _l("Technical score"), "title": _l("Title"), "urgency": _l("Urgency"),
    "user_id": _l("Account"), "username": _l("Username"), "volunteer_id": _l("Volunteer"),
    "weekly_minutes_limit": _l("Weekly limit (minutes)"), "workload": _l("Workload"),
    "criteria": _l("Evaluation criteria"), "declaration": _l("Declaration"), "expert_id": _l("Expert"),
    "tied_organization_ids": _l("Organizations declared tied"), "awarded_at": _l("Award notice"),
    "republished_from_id": _l("Published again from"), "overdue_at": _l("Past its target since"),
    "escalated_at": _l("Escalated"), "hours": _l("Hours"),
    "answer": _l("Answer"), "text": _l("Complaint"),
    "channel": _l("Came in"), "photos": _l("Photos"), "duplicate_of_id": _l("Duplicate of need"),
    "duplicate_id": _l("Duplicate need"), "resident_id": _l("Resident"),
    "retention_months": _l("Retention (months)"),
    # the demo district's counts
    "users": _l("Accounts"), "social_workers": _l("Social workers"), "residents": _l("Residents"),
    "volunteers": _l("Volunteers"), "projects": _l("Projects"), "bids": _l("Bids"), "feedback": _l("Ratings"),
    "sign_ups": _l("Sign-ups"), "shifts": _l("Shifts"), "regions": _l("Regions"),
    "organizations": _l("Organizations"), "recurrence": _l("Recurrence"),
    # cases
    "starts_at": _l("Starts"), "held_at": _l("Held on"), "minutes_text": _l("Minutes of the meeting"),
    "participants": _l("Participants"), "agenda": _l("Items on the agenda"), "agenda_item": _l("Agenda item"),
    "responsible_id": _l("Owner of the decision"), "due_on": _l("Due"), "done_note": _l("What was done"),
    "done_at": _l("Done on"),
    "stage": _l("Stage"), "owner_id": _l("Owner"), "worker_id": _l("Social worker"),
    "assessment_due": _l("Assessment due"), "plan_due": _l("Case plan due"), "review_due": _l("Review due"),
    "closed_at": _l("Closed"), "approval_id": _l("Approval request"), "referral_id": _l("Referral"),
    "transfer_id": _l("Transfer"), "note_id": _l("Note"), "contact": _l("Kind of note"),
    "happened_at": _l("When"), "delivered_at": _l("Delivered"), "need_id": _l("Need"), "id": _l("Number"),
    # volunteer records
    "sign_up_id": _l("Sign-up"), "minutes_before": _l("Minutes before"), "minutes_requested": _l("Minutes asked for"),
    "number": _l("Number"), "notice_until": _l("On public notice until"), "issued_at": _l("Issued"),
    "person_in_charge": _l("Person in charge"), "handler_name": _l("Handler"),
    "weekdays": _l("Weekdays"), "start_time": _l("Starts at"),
    "first_date": _l("First date"), "last_date": _l("Last date"), "skipped": _l("Dates left out"),
    "series_id": _l("Weekly series"),
    # skill certificates and training
    "skill_id": _l("Skill"), "expires_on": _l("Valid until"), "source": _l("Obtained by"),
    "trains_skill_id": _l("Training session for"),
    # ratings, taxonomy and regions
    "comment": _l("Comment"), "note": _l("Note"), "code": _l("Code"), "name_en": _l("Name (English)"),
    "parent": _l("Under"), "is_certificate": _l("Certificate"),
}
UNKNOWN_FIELD = _l("Other detail")

# Fields whose name means one thing on some subjects and another elsewhere: the label by the subject's type,
# over ``FIELDS``. A need flagged past its target records the response target it missed; a project's or a
# contract's ``target_hours`` are the service hours it aims at.
FIELDS_BY_SUBJECT = {
    "Need": {"target_hours": _l("Response target (hours)")},
}

# The status field's meaning by subject.
STATUS_BY_SUBJECT = {
    "Need": NeedStatus, "Project": ProjectStatus, "Bid": BidStatus, "Shift": ShiftStatus, "SignUp": SignUpStatus,
    "Organization": OrgStatus, "User": AccountStatus, "Volunteer": VolunteerStatus, "MatchRun": MatchStatus,
    "Contract": ContractStatus, "ChangeRequest": ChangeStatus,
    "PanelMember": PanelStatus, "Complaint": ComplaintStatus,
    "Case": CaseStatus,
    "PanelMember": PanelStatus, "Complaint": ComplaintStatus, "Certificate": CertificateStatus,
    "HoursCorrection": CorrectionStatus, "FollowUp": FollowUpStatus,
    "Meeting": MeetingStatus, "MeetingDecision": DecisionStatus, "SkillCertificate": ProofStatus,
}
ENUM_FIELDS = {
    "shift_status": ShiftStatus, "hours_status": HoursStatus, "role": Role, "org_type": OrgType,
    "level": WorkerLevel, "required_worker_level": WorkerLevel, "tags": VulnerableTag, "recurrence": Recurrence,
    "kind": MatchKind, "exception_kind": ExceptionKind, "milestone": Milestone, "stage": CaseStage,
    "contact": NoteKind, "source": ProofSource, "purpose": ConsentPurpose,
    # A need's channel, or how a resident's consent was given or withdrawn: the value says which.
    "channel": (NeedChannel, ConsentChannel), "withdrawal_channel": ConsentChannel,
}

# The lists a user can export (``linkage.exports``), by the code their export event's note names.
EXPORTED_LISTS = {
    "residents": _l("Residents"), "needs": _l("Needs"), "volunteers": _l("Volunteers"), "shifts": _l("Shifts"),
    "projects": _l("Projects"), "hours": _l("Approved hours"),
}

# Notes the system writes itself (people's notes are shown as they wrote them).
SYSTEM_NOTES = [
    (re.compile(r"^exported (\w+) (\d+) (xlsx|csv)$"),
     lambda m: _l("%(list)s: %(n)s rows as %(format)s", list=EXPORTED_LISTS.get(m.group(1), _l("List")),
                  n=int(m.group(2)), format=m.group(3).upper())),
    (re.compile(r"^check-out defaulted to the planned end$"), lambda m: _l("Check-out defaulted to the planned end.")),
    (re.compile(r"^(\d+) check-outs defaulted$"),
     lambda m: _l("%(n)s check-outs defaulted to the planned end.", n=int(m.group(1)))),
    (re.compile(r"^no-shows$"), lambda m: _l("After repeated no-shows.")),
    (re.compile(r"^not taken up in time$"), lambda m: _l("Nobody took it up in time.")),
    (re.compile(r"^match run (\d+)$"), lambda m: _l("Match run %(run)s", run=m.group(1))),
    (re.compile(r"^Demo district created by flask seed-demo\.$"),
     lambda m: _l("Demo district created by the seeding command.")),
]
ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
EMPTY = "—"


def action_label(action: str):
    return ACTIONS.get(action) or _l("Other change")


def subject_label(subject_type: str, subject_id: Optional[int]) -> str:
    """What the event is about: a record with a name by its name, others (needs, bids, match runs,
    whose numbers their pages show) by kind and number."""
    name = SUBJECTS.get(subject_type) or _l("Record")
    if subject_id and subject_type in NAMED_SUBJECTS:
        model, label = NAMED_SUBJECTS[subject_type]
        record = db.session.get(model, subject_id)
        return str(_l("%(kind)s: %(name)s", kind=name, name=label(record) if record is not None else _l("(removed)")))
    return f"{name} {subject_id}" if subject_id else str(name)


def field_label(name: str, subject_type: str = ""):
    """What a recorded field is called on an event about a ``subject_type`` record."""
    label = FIELDS_BY_SUBJECT.get(subject_type, {}).get(name)
    return label if label is not None else FIELDS.get(name, UNKNOWN_FIELD)


def note_text(note: str) -> str:
    for pattern, text in SYSTEM_NOTES:
        match = pattern.match(note or "")
        if match:
            return str(text(match))
    return note or ""


def _skill_names() -> dict:
    locale = _locale()
    skills = db.session.scalars(sa.select(Skill)).all()
    return {**{s.code: s.display_name(locale) for s in skills}, **{s.id: s.display_name(locale) for s in skills}}


def _locale() -> str:
    return str(get_locale() or "zh_CN")


# Recorded ids of other records, shown by the record's name (an id means nothing to the reader).
REFERENCES = {
    "category_id": (Category, lambda o: o.display_name(_locale())),
    "region_id": (Region, lambda o: o.display_name(_locale())),
    "responsible_id": (User, lambda o: o.display_name),
    "organization_id": (Organization, lambda o: o.name),
    "lead_id": (SocialWorker, lambda o: o.name), "case_worker_id": (SocialWorker, lambda o: o.name),
    "owner_id": (SocialWorker, lambda o: o.name), "worker_id": (SocialWorker, lambda o: o.name),
    "team": (SocialWorker, lambda o: o.name),
    "project_id": (Project, lambda o: o.title), "shift_id": (Shift, lambda o: o.title),
    "volunteer_id": (Volunteer, lambda o: o.name), "user_id": (User, lambda o: o.display_name),
    "skill_id": (Skill, lambda o: o.display_name(_locale())), "trains_skill_id": (Skill, lambda o: o.display_name(_locale())),
}
NAMED_SUBJECTS = {model.__name__: (model, label) for model, label in REFERENCES.values()
                  if model is not Category}


def _reference_text(name: str, value: Any) -> Optional[Markup]:
    """The name of the record a recorded id points to, or None when it is not a known reference."""
    if name not in REFERENCES or isinstance(value, bool) or not isinstance(value, int):
        return None
    model, label = REFERENCES[name]
    record = db.session.get(model, value)
    return escape(label(record)) if record is not None else escape(_l("(removed)"))


def value_text(name: str, value: Any, subject_type: str = "", *, skills: Optional[dict] = None) -> Markup:
    """One recorded value as the reader should see it."""
    if value is None or value == "" or value == []:
        return Markup(EMPTY)
    if isinstance(value, list):
        return _list_text(name, value, subject_type, skills)
    if isinstance(value, dict):
        return Markup("；").join(
            Markup("%s：%s") % (field_label(k, subject_type), value_text(k, v, subject_type, skills=skills))
            for k, v in value.items())
    enum = STATUS_BY_SUBJECT.get(subject_type) if name == "status" else ENUM_FIELDS.get(name)
    for kind in (enum if isinstance(enum, tuple) else (enum,) if enum is not None else ()):
        try:
            return escape(kind(value).label)
        except ValueError:
            pass
    reference = _reference_text(name, value)
    if reference is not None:
        return reference
    if isinstance(value, bool):
        return escape(_l("yes") if value else _l("no"))
    if isinstance(value, str):
        return _string_text(name, value)
    return escape(value)


def _list_text(name: str, value: list, subject_type: str, skills: Optional[dict]) -> Markup:
    """A recorded list: skills and slots by name, weekly windows by day, log-ins as data."""
    if name in ("skills", "slots"):
        skills = skills if skills is not None else _skill_names()
    if name == "skills":
        return Markup("、").join(escape(skills.get(v, v)) for v in value)
    if name == "slots":
        return Markup("、").join(
            escape(f"{skills.get(s[0], s[0]) if s[0] is not None else _l('Anyone')} × {s[1]}") for s in value)
    if name == "availability":  # [weekday (0 = Monday), "HH:MM", "HH:MM"]
        days = get_day_names("wide", locale=str(get_locale() or "zh_CN"))
        return Markup("、").join(escape(f"{days[w[0]]} {w[1]}–{w[2]}") for w in value
                                if isinstance(w, list) and len(w) == 3)
    if name == "logins":  # [label, username]: the usernames are data
        return Markup("、").join(Markup('<span translate="no">%s</span>') % pair[-1] for pair in value)
    return Markup("、").join(value_text(name, item, subject_type, skills=skills) for item in value)


def _string_text(name: str, value: str) -> Markup:
    """A recorded string: times and days in the reader's language, identifiers as data."""
    try:
        if ISO_DATETIME.match(value):
            return escape(format_datetime(datetime.fromisoformat(value), "short"))
        if ISO_DATE.match(value):
            return escape(format_date(date.fromisoformat(value), "medium"))
    except ValueError:
        pass
    if name in ("username", "credit_code", "certificate_no"):
        return Markup('<span translate="no">%s</span>') % value
    return escape(value)


def changes(event, sealed=()) -> list[tuple[str, Markup, Markup]]:
    """(field, before, after) for every field the event recorded, in the reader's language; the
    ``sealed`` fields (a bid's price before the deadline) say so instead of their values."""
    before, after = event.before or {}, event.after or {}
    skills = _skill_names() if {"skills", "slots"} & (set(before) | set(after)) else {}
    rows = []
    for name in list(dict.fromkeys([*after, *before])):
        old = _recorded_text(name, before, event.subject_type, skills, sealed)
        new = _recorded_text(name, after, event.subject_type, skills, sealed)
        rows.append((str(field_label(name, event.subject_type)), old, new))
    return rows


def _recorded_text(name: str, values: dict, subject_type: str, skills: dict, sealed) -> Optional[Markup]:
    if name not in values:
        return None
    if name in sealed:
        return escape(_l("Sealed"))
    return value_text(name, values.get(name), subject_type, skills=skills)


def register(app) -> None:
    app.jinja_env.globals.update(audit_action=action_label, audit_subject=subject_label, audit_changes=changes,
                                 audit_note=note_text, audit_actions=ACTIONS, audit_subjects=SUBJECTS)
