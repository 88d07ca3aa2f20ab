"""Who reads the needs forecast and who drafts a purchase from it: the one place for these checks."""
from __future__ import annotations

from linkage.models import Role, User
from linkage.projects.access import can_create_project

# Community staff read their community's forecast, civil affairs staff their street's or district's,
# administrators every community's.
FORECAST_READERS = (Role.community_staff, Role.civil_affairs, Role.admin)


def can_read_forecast(user: User) -> bool:
    return user.role in FORECAST_READERS


def can_draft_purchase(user: User) -> bool:
    """A suggested purchase becomes a draft project by those who create projects (civil affairs staff)."""
    return can_create_project(user)
