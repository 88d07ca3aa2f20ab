"""Skill certificates in the demo district: claims waiting for the social worker ``worker``, one approved and
one expired certificate of the demo volunteer, a first-aid training session next week and supervision notes
by the lead of past shifts. Each step runs through the services as of its moment (``demo.later``)."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from linkage import audit
from linkage.extensions import db
from linkage.models import (HOLDING_STATUSES, AccountStatus, AuditEvent, Project, ProofStatus, Region, Role, Shift,
                            SignUp, Skill, SkillCertificate, SocialWorker, User, Volunteer, VolunteerStatus)
from linkage.shifts import services as shift_services
from linkage.skills import services as skill_services
from linkage.timeutil import LOCAL_TZ, today
from linkage.volunteers import services as volunteer_services

# A one-page PDF: what a scanned certificate is, as far as the demo needs.
SCAN = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj "
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
# Demo volunteers of the worker's street who registered with an account to claim their certificates.
CLAIMANTS = (("volunteer2", "first_aid"), ("volunteer3", "psychological_support"))
TRAINING_TITLE = "红十字救护员急救培训"
NOTES = ("守时，签到后主动询问分工；与独居老人交流耐心，老人反馈很好。下次可安排其带新志愿者。",
         "服务中注意到老人血压偏高并及时告知带队社工，处置得当。建议参加下周的急救培训。")


def plan(demo) -> None:
    """Put the certificates, the training session and the notes into the demo's history (after the last
    event already written)."""
    audit.append_pending()
    latest = db.session.scalar(sa.select(sa.func.max(AuditEvent.at))) or demo.now - timedelta(days=30)
    base = max(latest, demo.now - timedelta(days=20)) + timedelta(minutes=5)
    worker_id, me = demo.users["worker"], demo.demo_volunteer["id"]
    skills = {code: skill.id for code, skill in demo.skills.items()}
    # The demo volunteer's expired certificate: approved for a day, long past.
    demo.later(base, lambda: _claim(me, skills["driving"]))
    demo.later(base + timedelta(hours=2), lambda: _decide(me, skills["driving"], worker_id, days=0))
    # Their first-aid certificate, approved for two years.
    demo.later(base + timedelta(hours=3), lambda: _claim(me, skills["first_aid"]))
    demo.later(base + timedelta(hours=5), lambda: _decide(me, skills["first_aid"], worker_id, days=None))
    # Claims waiting for ``worker``.
    demo.later(demo.now - timedelta(days=1), lambda: _claim(me, skills["psychological_support"]))
    for index, (username, code) in enumerate(CLAIMANTS):
        demo.later(demo.now - timedelta(hours=20 - index), lambda u=username, c=code: _claim_with_account(
            demo, u, skills[c]))
    demo.later(demo.now - timedelta(hours=6), lambda: _training(demo, worker_id, skills["first_aid"]))
    demo.later(demo.now - timedelta(hours=2), lambda: _notes(worker_id))


def _claim(volunteer_id: int, skill_id: int) -> None:
    volunteer = db.session.get(Volunteer, volunteer_id)
    skill_services.claim(volunteer, db.session.get(Skill, skill_id), actor=volunteer.user,
                         file_name="证书扫描件.pdf", content=SCAN)


def _decide(volunteer_id: int, skill_id: int, worker_id: int, *, days) -> None:
    """The worker approves the volunteer's pending claim: valid ``days`` more days, or the skill's validity."""
    certificate = db.session.scalar(sa.select(SkillCertificate).where(
        SkillCertificate.volunteer_id == volunteer_id, SkillCertificate.skill_id == skill_id,
        SkillCertificate.status == ProofStatus.pending))
    day = today()
    expires = skill_services.default_expiry(certificate.skill, day) if days is None else day + timedelta(days=days)
    skill_services.approve(certificate, actor=db.session.get(User, worker_id), expires_on=expires, today=day)


def _claim_with_account(demo, username: str, skill_id: int) -> None:
    """A volunteer of the worker's street registers an account and claims a certificate."""
    street = db.session.get(Region, demo.streets[0].id)
    taken = {v for v in db.session.scalars(sa.select(Volunteer.id).where(Volunteer.user_id.is_not(None)))}
    volunteer = db.session.scalars(
        sa.select(Volunteer).where(Region.subtree_clause(Volunteer.region_id, street),
                                   Volunteer.status == VolunteerStatus.active, Volunteer.user_id.is_(None),
                                   Volunteer.id.not_in(taken or {0}))
        .order_by(Volunteer.id)).first()
    if volunteer is None:
        return
    name = username if db.session.scalar(sa.select(User.id).where(User.username == username)) is None \
        else f"demo-{username}"
    user = User(username=name, display_name=volunteer.name, role=Role.volunteer, region_id=volunteer.region_id,
                password_hash=demo.password_hash, status=AccountStatus.active, phone=volunteer.phone)
    db.session.add(user)
    db.session.flush()
    volunteer.user_id = user.id
    db.session.flush()
    skill_services.claim(volunteer, db.session.get(Skill, skill_id), actor=user, file_name="证书.pdf", content=SCAN)


def _training(demo, worker_id: int, skill_id: int) -> None:
    """The worker's first-aid training session next week in the demo volunteer's community."""
    worker = db.session.scalar(sa.select(SocialWorker).where(SocialWorker.user_id == worker_id))
    community = db.session.get(Region, demo.communities[0].id)
    day = (demo.now + timedelta(days=7)).astimezone(LOCAL_TZ).replace(hour=9, minute=0, second=0, microsecond=0)
    data = shift_services.ShiftData(
        title=f"{community.name}·{TRAINING_TITLE}", community=community, place=f"{community.name}社区党群服务中心",
        start=day, end=day + timedelta(hours=4), min_volunteers=4, slots=[(None, 12)],
        description="红十字会讲师授课，含心肺复苏和AED实操；全程参加并经带队社工确认时长者获得急救证书。",
        lead=worker, trains_skill=db.session.get(Skill, skill_id))
    shift_services.create_shift(data, project=db.session.get(Project, demo.projects["running"]),
                                actor=db.session.get(User, worker_id))


def _notes(worker_id: int) -> None:
    """The worker's notes on two volunteers who held places on shifts the worker led."""
    worker = db.session.scalar(sa.select(SocialWorker).where(SocialWorker.user_id == worker_id))
    ids = db.session.scalars(
        sa.select(SignUp.volunteer_id).join(Shift, Shift.id == SignUp.shift_id)
        .where(Shift.lead_id == worker.id, SignUp.status.in_(HOLDING_STATUSES))
        .group_by(SignUp.volunteer_id).order_by(SignUp.volunteer_id).limit(len(NOTES))).all()
    author = db.session.get(User, worker_id)
    for volunteer_id, text in zip(ids, NOTES):
        volunteer_services.write_note(db.session.get(Volunteer, volunteer_id), text, actor=author)
