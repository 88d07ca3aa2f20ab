"""Who may see and do what with a volunteer's record: the one place for these rules."""
from __future__ import annotations

from linkage.auth.access import can_see_region
from linkage.models import Certificate, HoursCorrection, Role, SignUp, User, Volunteer
from linkage.shifts.access import can_run, volunteer_of

# Staff who keep volunteers' records of their area: complaints, certificates, exports.
RECORD_KEEPERS = (Role.community_staff, Role.civil_affairs, Role.admin)
# Who decides correction requests: social workers and community staff (MCA order 67).
CORRECTION_DECIDERS = (Role.social_worker, Role.community_staff)
# Who may file a correction request: the volunteer, or the lead (a social worker).
CORRECTION_FILERS = (Role.volunteer, Role.social_worker)


def keeps_records(user: User) -> bool:
    return user.is_authenticated and user.role in RECORD_KEEPERS


def can_keep_record_of(user: User, volunteer: Volunteer) -> bool:
    """Staff whose area holds the volunteer's community (admins everywhere)."""
    return keeps_records(user) and can_see_region(user, volunteer.region)


def is_own(user: User, volunteer: Volunteer) -> bool:
    mine = volunteer_of(user)
    return mine is not None and mine.id == volunteer.id


def can_file_correction(user: User, record: SignUp) -> bool:
    """The volunteer of the entry, or the social worker who runs its shift."""
    if user.role == Role.volunteer:
        return is_own(user, record.volunteer)
    return user.role == Role.social_worker and can_run(user, record.shift)


def can_decide_correction(user: User, correction: HoursCorrection) -> bool:
    """A social worker who runs the shift or community staff of its community; never the one who filed it."""
    if user.role not in CORRECTION_DECIDERS or correction.filed_by_id == user.id:
        return False
    shift = correction.sign_up.shift
    if user.role == Role.community_staff:
        return can_see_region(user, shift.region)
    return can_run(user, shift)


def can_read_certificate(user: User, certificate: Certificate) -> bool:
    return is_own(user, certificate.volunteer) or can_keep_record_of(user, certificate.volunteer)


def can_issue_certificate(user: User, certificate: Certificate) -> bool:
    return user.role in (Role.community_staff, Role.admin) and can_see_region(user, certificate.region)


def visible_volunteers(user: User):
    """SQL condition on ``Volunteer``: those whose community lies in the record keeper's area (admins: all)."""
    import sqlalchemy as sa

    from linkage.models import Region
    if not keeps_records(user):
        return sa.false()
    if user.role == Role.admin:
        return sa.true()
    if user.region is None:
        return sa.false()
    return Region.subtree_clause(Volunteer.region_id, user.region)
