"""The scoped selects of skill certificates."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from linkage.extensions import db
from linkage.models import ProofStatus, Region, Skill, SkillCertificate, User, Volunteer
from linkage.skills import access


def proof_skills() -> list[Skill]:
    """Skills that count only with a certificate."""
    return list(db.session.scalars(sa.select(Skill).where(Skill.is_certificate).order_by(Skill.code)))


def certificates_of(volunteer: Volunteer) -> list[SkillCertificate]:
    """A volunteer's certificates, newest first."""
    return list(db.session.scalars(
        sa.select(SkillCertificate).where(SkillCertificate.volunteer_id == volunteer.id)
        .options(joinedload(SkillCertificate.skill), joinedload(SkillCertificate.shift))
        .order_by(SkillCertificate.claimed_at.desc(), SkillCertificate.id.desc())))


def pending_for(user: User) -> list[SkillCertificate]:
    """Claims waiting for a decision in the social worker's area, oldest first."""
    if not access.is_reviewer(user):
        return []
    return list(db.session.scalars(
        sa.select(SkillCertificate).join(Volunteer, Volunteer.id == SkillCertificate.volunteer_id)
        .where(SkillCertificate.status == ProofStatus.pending, Region.subtree_clause(Volunteer.region_id, user.region))
        .options(joinedload(SkillCertificate.skill), joinedload(SkillCertificate.volunteer))
        .order_by(SkillCertificate.claimed_at, SkillCertificate.id)))


def decided_by(user: User, limit: int = 20) -> list[SkillCertificate]:
    """The social worker's latest decisions."""
    return list(db.session.scalars(
        sa.select(SkillCertificate).where(SkillCertificate.decided_by_id == user.id)
        .options(joinedload(SkillCertificate.skill), joinedload(SkillCertificate.volunteer))
        .order_by(SkillCertificate.decided_at.desc(), SkillCertificate.id.desc()).limit(limit)))
