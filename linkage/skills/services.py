"""Skill certificates: a volunteer's claim with an uploaded certificate, a social worker's decision, and
the certificate a training session's confirmed attendance grants.

Every function takes the acting user, flushes and never commits. Whether a certificate counts for a
shift is decided by ``linkage.shifts.eligibility.holds`` alone."""
from __future__ import annotations

import calendar
from datetime import date, datetime
from typing import Optional

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from linkage import audit, uploads
from linkage.errors import Refused
from linkage.extensions import db
from linkage.models import (HoursStatus, ProofSource, ProofStatus, Skill, SkillCertificate, SignUp, User,
                            Volunteer)
from linkage.notifications import link, notify
from linkage.skills import access
from linkage.timeutil import now as clock, to_local

# Where certificates are stored (encrypted): instance/uploads/skill_certificates/.
AREA = "skill_certificates"
# A certificate is a scan or a photo.
TYPES = ("pdf", "jpg", "jpeg", "png")
_FIELDS = ("status", "skill_id", "expires_on", "source")


def months_later(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day when it is shorter)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def default_expiry(skill: Skill, day: date) -> date:
    """The last day a certificate of ``skill`` obtained on ``day`` counts by default."""
    return months_later(day, skill.validity_months)


def claim(volunteer: Volunteer, skill: Optional[Skill], *, actor: User, file_name: str, content: bytes) -> SkillCertificate:
    """The volunteer claims a skill that needs proof with a certificate (pdf, jpg or png); it waits for a
    social worker of their area. The file is checked by ``uploads.check`` and stored encrypted."""
    if volunteer.user_id != actor.id:
        raise Refused(_l("Only the volunteer claims a skill."))
    if skill is None or not skill.is_certificate:
        raise Refused(_l("Choose a skill that needs a certificate."), field="skill")
    waiting = db.session.scalar(sa.select(SkillCertificate.id).where(
        SkillCertificate.volunteer_id == volunteer.id, SkillCertificate.skill_id == skill.id,
        SkillCertificate.status == ProofStatus.pending))
    if waiting is not None:
        raise Refused(_l("Your certificate for this skill is already waiting for a social worker."), field="skill")
    extension = uploads.check(file_name, content, types=TYPES)
    certificate = SkillCertificate(volunteer_id=volunteer.id, skill_id=skill.id, source=ProofSource.upload,
                                   status=ProofStatus.pending, file_name=file_name.strip(), extension=extension,
                                   stored_name=uploads.new_name(), size=len(content), claimed_at=clock())
    uploads.store_with_row(AREA, certificate, content, encrypted=True)
    audit.record(actor, "skill_certificate.claim", certificate, region_id=volunteer.region_id,
                 after={**audit.snapshot(certificate, *_FIELDS), "size": certificate.size})
    return certificate


def _locked(certificate: SkillCertificate) -> SkillCertificate:
    return db.session.execute(sa.select(SkillCertificate).where(SkillCertificate.id == certificate.id)
                              .with_for_update().execution_options(populate_existing=True)).scalar_one()


def _decidable(certificate: SkillCertificate, actor: User) -> SkillCertificate:
    if not access.can_review(actor, certificate.volunteer):
        raise Refused(_l("Only a social worker of the volunteer's area decides this certificate."))
    certificate = _locked(certificate)
    if certificate.status != ProofStatus.pending:
        raise Refused(_l("This certificate was already decided."))
    return certificate


def approve(certificate: SkillCertificate, *, actor: User, expires_on: Optional[date],
            today: date) -> SkillCertificate:
    """A social worker approves the certificate; it counts up to and including ``expires_on``."""
    certificate = _decidable(certificate, actor)
    if expires_on is None:
        raise Refused(_l("Enter the last day the certificate is valid."), field="expires_on")
    if expires_on < today:
        raise Refused(_l("This certificate has already expired: it cannot be approved."), field="expires_on")
    before = audit.snapshot(certificate, *_FIELDS)
    certificate.status, certificate.expires_on = ProofStatus.approved, expires_on
    certificate.decided_by_id, certificate.decided_at = actor.id, clock()
    audit.record(actor, "skill_certificate.approve", certificate, region_id=certificate.volunteer.region_id,
                 before=before, after=audit.snapshot(certificate, *_FIELDS))
    notify([certificate.volunteer.user_id], "skill_certificate_approved", link=link("skills.mine"),
           skill=certificate.skill.name, date=expires_on.isoformat())
    return certificate


def reject(certificate: SkillCertificate, *, actor: User, reason: str) -> SkillCertificate:
    """A social worker rejects the certificate with a reason the volunteer reads."""
    certificate = _decidable(certificate, actor)
    reason = (reason or "").strip()
    if not reason:
        raise Refused(_l("Give a reason: the volunteer will read it."), field="reason")
    before = audit.snapshot(certificate, *_FIELDS)
    certificate.status, certificate.reason = ProofStatus.rejected, reason
    certificate.decided_by_id, certificate.decided_at = actor.id, clock()
    audit.record(actor, "skill_certificate.reject", certificate, region_id=certificate.volunteer.region_id,
                 before=before, after=audit.snapshot(certificate, *_FIELDS), note=reason)
    notify([certificate.volunteer.user_id], "skill_certificate_rejected", link=link("skills.mine"),
           skill=certificate.skill.name, reason=reason)
    return certificate


def read_file(certificate: SkillCertificate, *, actor: User) -> bytes:
    """The uploaded certificate's bytes for one download, recorded in the audit trail."""
    if not access.can_read(actor, certificate) or certificate.stored_name is None:
        raise Refused(_l("You may not open this certificate."))
    content = uploads.read_stored(AREA, certificate.stored_name, _l("The certificate's file is missing from the server."))
    audit.record(actor, "skill_certificate.read", certificate, region_id=certificate.volunteer.region_id)
    return content


def grant_for_training(record: SignUp, *, actor: User, at: Optional[datetime] = None) -> Optional[SkillCertificate]:
    """Approved hours on a training session grant its skill, valid from the session's day for the skill's
    validity; nothing for other shifts (or hours not approved)."""
    shift = record.shift
    skill = shift.trains_skill
    if skill is None or record.hours_status != HoursStatus.approved:
        return None
    day = to_local(shift.start).date()
    certificate = SkillCertificate(volunteer_id=record.volunteer_id, skill_id=skill.id, source=ProofSource.training,
                                   status=ProofStatus.approved, shift_id=shift.id,
                                   expires_on=default_expiry(skill, day), claimed_at=at or clock(),
                                   decided_by_id=actor.id, decided_at=at or clock())
    db.session.add(certificate)
    db.session.flush()
    audit.record(actor, "skill_certificate.grant", certificate, region_id=shift.region_id,
                 after={**audit.snapshot(certificate, *_FIELDS), "shift_id": shift.id})
    notify([record.volunteer.user_id], "skill_certificate_granted", link=link("skills.mine"), skill=skill.name,
           title=shift.title, date=certificate.expires_on.isoformat())
    return certificate
