"""The skills forms offer, and the scoped selects of skill certificates."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from linkage.extensions import db
from linkage.forms import choices
from linkage.models import ProofStatus, Region, Skill, SkillCertificate, User, Volunteer
from linkage.skills import access


def offered_skills(keep=(), *, certificates: bool = True) -> list[Skill]:
    """The skills a form may offer, by code: the active ones and those in ``keep`` (ids a record already
    names, so that editing it does not drop a retired one); without the skills that count only with a
    certificate when ``certificates`` is False (those are claimed with one, on the certificates page)."""
    query = sa.select(Skill).where(Skill.offered(keep))
    if not certificates:
        query = query.where(Skill.is_certificate.is_(False))
    return list(db.session.scalars(query.order_by(Skill.code)))


def skill_choices(skills, locale: str) -> list:
    """``skills`` as select choices, named in ``locale``."""
    return choices((skill.id, skill.display_name(locale)) for skill in skills)


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
