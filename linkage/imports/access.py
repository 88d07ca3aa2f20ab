"""Who may import from spreadsheets: the one place for this rule."""
from __future__ import annotations

from linkage.community.access import RESIDENT_ROLES
from linkage.models import Role, User


def can_import_residents(user: User) -> bool:
    """The roles that register residents one by one (their area only, checked per row)."""
    return user.role in RESIDENT_ROLES or user.role == Role.admin
