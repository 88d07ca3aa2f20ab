"""Who may rate a visit and who handles the follow-ups: the needs' own rules, reused."""
from __future__ import annotations

from linkage.models import FollowUp, Need, Role, User
from linkage.needs.access import can_manage_need, can_rate, is_own_need

# Roles whose pages list the visits of their community and its follow-ups.
COMMUNITY_DESK = (Role.community_staff, Role.admin)


def can_rate_visit(user: User, need: Need) -> bool:
    """The resident themself, or their community's staff on their behalf (the need's rating rule)."""
    return can_rate(user, need)


def rates_on_behalf(user: User, need: Need) -> bool:
    """A rating entered by anyone but the resident is marked as entered for them."""
    return not is_own_need(user, need)


def can_close_follow_up(user: User, follow_up: FollowUp) -> bool:
    """The community's staff who manage the rated need close its follow-up."""
    return can_manage_need(user, follow_up.rating.need)
