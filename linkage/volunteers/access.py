"""Who may open a volunteer's own pages: the one place for this rule."""
from __future__ import annotations

from functools import wraps

from flask_login import current_user, login_required

from linkage.auth.access import can_see_region, require
from linkage.models import Role, User, Volunteer


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


# Who records (and withdraws) a guardian's consent for a minor volunteer, and reads the signed form.
CONSENT_KEEPERS = (Role.community_staff, Role.social_worker)


def can_record_consent(user: User, volunteer: Volunteer) -> bool:
    """Community staff or a social worker whose area holds the volunteer's community."""
    return (user.is_authenticated and user.role in CONSENT_KEEPERS
            and can_see_region(user, volunteer.region))
