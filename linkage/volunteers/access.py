"""Who may open a volunteer's own pages, and who reads and writes supervision notes on a volunteer."""
from __future__ import annotations

from functools import wraps

import sqlalchemy as sa
from flask_login import current_user, login_required

from linkage.auth.access import can_see_region, require
from linkage.extensions import db
from linkage.models import HOLDING_STATUSES, Role, Shift, SignUp, SocialWorker, User, Volunteer


def has_volunteer_pages(user: User) -> bool:
    """Volunteers only: other roles (site admins included) have no volunteer record here."""
    return user.is_authenticated and user.role == Role.volunteer


def volunteer_only(view):
    """Let only volunteers through to their own pages; others get 403."""
    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        require(has_volunteer_pages(current_user))
        return view(*args, **kwargs)
    return wrapped


# --- supervision notes ---------------------------------------------------------------------------------
# Staff of the volunteer's area read supervision notes; the volunteer does not.
NOTE_STAFF = (Role.community_staff, Role.civil_affairs, Role.admin)


def led_shift_of(user: User, volunteer: Volunteer) -> bool:
    """The account is the lead social worker of a shift the volunteer holds or held a place on."""
    if not user.is_authenticated or user.role != Role.social_worker:
        return False
    return db.session.scalar(
        sa.select(sa.func.count(SignUp.id)).join(Shift, Shift.id == SignUp.shift_id)
        .join(SocialWorker, SocialWorker.id == Shift.lead_id)
        .where(SignUp.volunteer_id == volunteer.id, SignUp.status.in_(HOLDING_STATUSES),
               SocialWorker.user_id == user.id, SocialWorker.active)) > 0


def reads_roster_notes(user: User, shift: Shift) -> bool:
    """Whether the roster links the volunteers with a place to their supervision notes: for the shift's lead
    and for social workers and staff of its area (who read the notes of every volunteer with a place)."""
    if not user.is_authenticated or user.role not in (*NOTE_STAFF, Role.social_worker):
        return False
    if shift.lead is not None and shift.lead.user_id == user.id:
        return True
    return can_see_region(user, shift.region)


def can_write_notes(user: User, volunteer: Volunteer) -> bool:
    """The lead social worker of a shift the volunteer holds or held a place on."""
    return led_shift_of(user, volunteer)


def can_read_notes(user: User, volunteer: Volunteer) -> bool:
    """Social workers and staff of the volunteer's area, and the social workers who may write them."""
    if not user.is_authenticated:
        return False
    if user.role in NOTE_STAFF or user.role == Role.social_worker:
        if can_see_region(user, volunteer.region):
            return True
    return can_write_notes(user, volunteer)
# Who records (and withdraws) a guardian's consent for a minor volunteer, and reads the signed form.
CONSENT_KEEPERS = (Role.community_staff, Role.social_worker)


def can_record_consent(user: User, volunteer: Volunteer) -> bool:
    """Community staff or a social worker whose area holds the volunteer's community."""
    return (user.is_authenticated and user.role in CONSENT_KEEPERS
            and can_see_region(user, volunteer.region))


# Who registers volunteers met in person (and imports them from a spreadsheet): community staff, in their
# own community (PRODUCT.md: community staff register people on their behalf), and admins.
VOLUNTEER_REGISTRARS = (Role.community_staff,)


def can_register_volunteer_in(user: User, community) -> bool:
    from linkage.auth.access import can_see_region
    return (user.role in VOLUNTEER_REGISTRARS or user.role == Role.admin) and community is not None \
        and can_see_region(user, community)
