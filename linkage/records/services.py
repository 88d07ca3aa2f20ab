"""The rules of a volunteer's record: corrections of locked hours, cumulative hours and stars,
certificates (public notice, issue, verification) and complaints. Actor passed in; never commits."""
from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Optional

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from linkage import audit, settings
from linkage.errors import Refused
from linkage.extensions import db
from linkage.models.records import hours_unlocked
from linkage.models import (Certificate, CertificateStatus, CorrectionStatus, HoursCorrection, HoursStatus, Region,
                            Shift, SignUp, User, Volunteer, VolunteerComplaint)
from linkage.records import access, numbers
from linkage.security import decrypt, encrypt
from linkage.timeutil import now as clock
from linkage.volunteers.services import star_level

MAX_MINUTES = 24 * 60
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"   # no 0/O, 1/I: read off paper
CODE_LENGTH = 8


# --- cumulative hours and stars -------------------------------------------------------------------------

def approved_minutes(volunteer: Volunteer) -> int:
    return int(db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(SignUp.minutes), 0)).where(
        SignUp.volunteer_id == volunteer.id, SignUp.hours_status == HoursStatus.approved)) or 0)


@dataclass
class Standing:
    """A volunteer's number, cumulative approved hours and star level."""
    number: Optional[str]
    minutes: int
    stars: int
    next_at: Optional[int]

    @property
    def hours(self) -> float:
        return self.minutes / 60


def standing(volunteer: Volunteer) -> Standing:
    minutes = approved_minutes(volunteer)
    stars, next_at = star_level(minutes / 60, settings.get("STAR_THRESHOLDS_HOURS"))
    return Standing(numbers.number_of(volunteer), minutes, stars, next_at)


# --- corrections of approved (locked) hours ----------------------------------------------------------

def _locked_sign_up(sign_up_id: int) -> SignUp:
    return db.session.execute(sa.select(SignUp).where(SignUp.id == sign_up_id).with_for_update()
                              .execution_options(populate_existing=True)).scalar_one()


def file_correction(record: SignUp, *, minutes: Optional[int], reason: str, actor: User) -> HoursCorrection:
    """The volunteer or the lead asks to change approved hours; they stay as they are until decided."""
    reason = (reason or "").strip()
    if not access.can_file_correction(actor, record):
        raise Refused(_("You cannot ask for a correction of this entry."), field="sign_up")
    record = _locked_sign_up(record.id)
    if record.hours_status != HoursStatus.approved:
        raise Refused(_("Only approved hours are corrected this way; pending hours are decided on the roster."),
                      field="sign_up")
    if minutes is None or not 0 <= minutes <= min(MAX_MINUTES, record.shift.minutes):
        raise Refused(_("Enter from 0 to %(most)s minutes: the length of the shift.", most=record.shift.minutes),
                      field="minutes")
    if minutes == record.minutes:
        raise Refused(_("These are the hours already recorded."), field="minutes")
    if not reason:
        raise Refused(_("Say why the hours are wrong."), field="reason")
    open_one = db.session.scalar(sa.select(HoursCorrection.id).where(
        HoursCorrection.sign_up_id == record.id, HoursCorrection.status == CorrectionStatus.pending))
    if open_one:
        raise Refused(_("A correction of this entry is already waiting for a decision."), field="sign_up")
    correction = HoursCorrection(sign_up_id=record.id, filed_by_id=actor.id, reason=reason,
                                 minutes_before=record.minutes or 0, minutes_requested=minutes, created_at=clock())
    db.session.add(correction)
    db.session.flush()
    audit.record(actor, "hours_correction.file", correction, region_id=record.shift.region_id,
                 after=audit.snapshot(correction, "sign_up_id", "minutes_before", "minutes_requested"), note=reason)
    return correction


def decide_correction(correction: HoursCorrection, *, approve: bool, note: str, actor: User) -> HoursCorrection:
    """A social worker or community staff decides; approved, the entry's minutes change. Both kept."""
    note = (note or "").strip()
    correction = db.session.execute(sa.select(HoursCorrection).where(HoursCorrection.id == correction.id)
                                    .with_for_update().execution_options(populate_existing=True)).scalar_one()
    if not access.can_decide_correction(actor, correction):
        raise Refused(_("You cannot decide this correction."), field="correction")
    if correction.status != CorrectionStatus.pending:
        raise Refused(_("This correction was already decided."), field="correction")
    if not approve and not note:
        raise Refused(_("Give a reason for rejecting: the person who asked will read it."), field="note")
    record = _locked_sign_up(correction.sign_up_id)
    before = audit.snapshot(record, "minutes")
    correction.status = CorrectionStatus.approved if approve else CorrectionStatus.rejected
    correction.decided_by_id, correction.decided_at, correction.decision_note = actor.id, clock(), note
    if approve:
        with hours_unlocked(record):
            record.minutes = correction.minutes_requested
            db.session.flush()
    audit.record(actor, "hours_correction.approve" if approve else "hours_correction.reject", correction,
                 region_id=record.shift.region_id, before=before,
                 after=audit.snapshot(record, "minutes"), note=note)
    return correction


# --- certificates ----------------------------------------------------------------------------------------

def _content(volunteer: Volunteer) -> tuple[str, Optional[object], Optional[object]]:
    """What the approved service was (the shifts' titles, most frequent first) and its first and last day."""
    rows = db.session.execute(sa.select(Shift.title, sa.func.count(), sa.func.min(Shift.start), sa.func.max(Shift.end))
                              .join(SignUp, SignUp.shift_id == Shift.id)
                              .where(SignUp.volunteer_id == volunteer.id, SignUp.hours_status == HoursStatus.approved)
                              .group_by(Shift.title)).all()
    rows.sort(key=lambda r: (-r[1], r[0]))
    titles = "、".join(r[0] for r in rows[:8]) + ("…" if len(rows) > 8 else "")
    return titles, min((r[2] for r in rows), default=None), max((r[3] for r in rows), default=None)


def _certificate_number(region: Region, when) -> str:
    """ZYFW + year + division code + a five-digit sequence of that year and division."""
    prefix = f"ZYFW{when.year}{numbers.division_of(region)}"
    count = db.session.scalar(sa.select(sa.func.count()).where(Certificate.number.startswith(prefix))) or 0
    return f"{prefix}{count + 1:05d}"


def request_certificate(volunteer: Volunteer, *, actor: User) -> Certificate:
    """The volunteer asks for a certificate of their approved hours so far; it goes on public notice."""
    if not access.is_own(actor, volunteer):
        raise Refused(_("Only the volunteer may ask for their certificate."))
    db.session.execute(sa.select(Volunteer.id).where(Volunteer.id == volunteer.id).with_for_update())
    waiting = db.session.scalar(sa.select(Certificate.id).where(
        Certificate.volunteer_id == volunteer.id, Certificate.status == CertificateStatus.notice))
    if waiting:
        raise Refused(_("A certificate of yours is already on public notice."))
    minutes = approved_minutes(volunteer)
    if minutes <= 0:
        raise Refused(_("There are no approved hours to certify yet."))
    numbers.assign(volunteer)
    at = clock()
    content, first, last = _content(volunteer)
    region = db.session.get(Region, volunteer.region_id)
    certificate = Certificate(number=_certificate_number(region, at), volunteer_id=volunteer.id, region_id=region.id,
                              minutes=minutes, content=content, period_from=first, period_to=last, requested_at=at,
                              notice_until=at + timedelta(days=int(settings.get("CERTIFICATE_NOTICE_DAYS"))))
    db.session.add(certificate)
    db.session.flush()
    audit.record(actor, "certificate.request", certificate, region_id=region.id,
                 after=audit.snapshot(certificate, "number", "minutes", "notice_until"))
    return certificate


def issue_certificate(certificate: Certificate, *, person_in_charge: str, contact: str, actor: User) -> Certificate:
    """Community staff issue a certificate whose public notice is over; it gets its verification code."""
    certificate = db.session.execute(sa.select(Certificate).where(Certificate.id == certificate.id)
                                     .with_for_update().execution_options(populate_existing=True)).scalar_one()
    if not access.can_issue_certificate(actor, certificate):
        raise Refused(_("Only staff of the volunteer's community may issue this certificate."))
    if certificate.status == CertificateStatus.issued:
        raise Refused(_("This certificate was already issued."))
    if clock() < certificate.notice_until:
        raise Refused(_("The public notice runs until %(day)s; the certificate can be issued after it.",
                        day=certificate.notice_until.date().isoformat()))
    person_in_charge, contact = (person_in_charge or "").strip(), (contact or "").strip()
    if not person_in_charge:
        raise Refused(_("Name the person in charge of the issuing body."), field="person_in_charge")
    if not contact:
        raise Refused(_("Give a contact telephone of the issuing body."), field="contact")
    code = "".join(secrets.choice(CODE_ALPHABET) for _i in range(CODE_LENGTH))
    certificate.status, certificate.issued_at, certificate.issued_by_id = CertificateStatus.issued, clock(), actor.id
    certificate.issuer_name = certificate.region.name
    certificate.person_in_charge, certificate.contact = person_in_charge[:100], contact[:100]
    certificate.handler_name = actor.display_name
    certificate.code_encrypted = encrypt(code)
    audit.record(actor, "certificate.issue", certificate, region_id=certificate.region_id,
                 before={"status": CertificateStatus.notice.value},
                 after=audit.snapshot(certificate, "status", "issued_at", "person_in_charge", "handler_name"))
    return certificate


def verification_code(certificate: Certificate) -> Optional[str]:
    return decrypt(certificate.code_encrypted)


def verify(number: str, code: str) -> Optional[Certificate]:
    """The issued certificate with this number, if ``code`` is its verification code; else None."""
    number, code = (number or "").strip().upper(), (code or "").strip().upper()
    if not number or not code:
        return None
    certificate = db.session.scalar(sa.select(Certificate).where(
        Certificate.number == number, Certificate.status == CertificateStatus.issued)
        .options(joinedload(Certificate.volunteer), joinedload(Certificate.region)))
    expected = verification_code(certificate) if certificate is not None else None
    if expected is None or not hmac.compare_digest(expected.encode(), code.encode()):
        return None
    return certificate


# --- complaints -----------------------------------------------------------------------------------------

def record_complaint(volunteer: Volunteer, text: str, *, actor: User) -> VolunteerComplaint:
    text = (text or "").strip()
    if not access.can_keep_record_of(actor, volunteer):
        raise Refused(_("This volunteer is not in your area."))
    if not text:
        raise Refused(_("Write what the complaint is about."), field="text")
    complaint = VolunteerComplaint(volunteer_id=volunteer.id, region_id=volunteer.region_id, text=text,
                                   recorded_by_id=actor.id, created_at=clock())
    db.session.add(complaint)
    db.session.flush()
    audit.record(actor, "volunteer_complaint.record", complaint, region_id=volunteer.region_id,
                 after={"volunteer_id": volunteer.id})
    return complaint


def answer_complaint(complaint: VolunteerComplaint, answer: str, *, actor: User) -> VolunteerComplaint:
    answer = (answer or "").strip()
    if not access.is_own(actor, complaint.volunteer):
        raise Refused(_("Only the volunteer concerned may answer."), field="complaint")
    if complaint.answered_at is not None:
        raise Refused(_("This complaint was already answered."), field="complaint")
    if not answer:
        raise Refused(_("Write your answer."), field="answer")
    complaint.answer, complaint.answered_at = answer, clock()
    audit.record(actor, "volunteer_complaint.answer", complaint, region_id=complaint.region_id)
    return complaint
