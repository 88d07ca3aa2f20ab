"""Who may claim, decide and read skill certificates: the one place for these rules."""
from __future__ import annotations

from linkage.auth.access import can_see_region
from linkage.models import Role, SkillCertificate, User, Volunteer
from linkage.shifts.access import social_worker_of
from linkage.volunteers.access import has_volunteer_pages


def can_claim(user: User) -> bool:
    """Volunteers claim skills for themselves."""
    return has_volunteer_pages(user)


def is_reviewer(user: User) -> bool:
    """An active social worker with an area: the one who decides certificates there."""
    if not user.is_authenticated or user.role != Role.social_worker or user.region is None:
        return False
    worker = social_worker_of(user)
    return worker is not None and worker.active


def can_review(user: User, volunteer: Volunteer) -> bool:
    """A social worker whose area (the account's street or community) holds the volunteer's community."""
    return is_reviewer(user) and can_see_region(user, volunteer.region)


def is_own(user: User, certificate: SkillCertificate) -> bool:
    return has_volunteer_pages(user) and certificate.volunteer.user_id == user.id


def can_read(user: User, certificate: SkillCertificate) -> bool:
    """The volunteer's own certificate, or one a social worker of their area decides."""
    return is_own(user, certificate) or can_review(user, certificate.volunteer)
