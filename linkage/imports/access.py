"""Who may import from spreadsheets: the one place for this rule."""
from __future__ import annotations

from linkage.community.access import RESIDENT_ROLES
from linkage.models import Role, User

# Who imports what (plus admins); every row is then checked against the importer's own area.
IMPORTERS = {
    "residents": RESIDENT_ROLES,              # the roles that register residents one by one
    "volunteers": (Role.community_staff,),    # community staff register volunteers met in person
    "needs": (Role.community_staff,),         # community staff register needs on residents' behalf
}


def can_import(user: User, kind: str) -> bool:
    return user.role in IMPORTERS[kind] or user.role == Role.admin


def can_import_residents(user: User) -> bool:
    """The roles that register residents one by one (their area only, checked per row)."""
    return can_import(user, "residents")
