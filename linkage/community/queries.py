"""Queries for residents and accounts, scoped to the user. Views and the JSON API reuse them."""
from __future__ import annotations

from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from linkage import audit
from linkage.community import access
from linkage.community.access import community_scope
from linkage.identifiers import read_id_number
from linkage.extensions import db
from linkage.forms import choices
from linkage.models import (AccountStatus, ClaimStatus, Region, RegionLevel, Resident, ResidentClaim, User,
                            VolunteerClaim)
from linkage.security import blind_index


def residents_visible_to(user: User):
    """Residents ``user`` may see, with what lists show loaded (tags load with the resident)."""
    return sa.select(Resident).options(joinedload(Resident.region)).where(access.visible_residents(user))


def search_residents(query, text: Optional[str] = None, community: Optional[Region] = None):
    """Filter by name, or by a full ID number (found through its blind index, never in clear)."""
    text = (text or "").strip()
    if text:
        number, info, _problem = read_id_number(text)
        if info is not None:
            query = query.where(Resident.id_number_index == blind_index(number))
        else:
            escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            query = query.where(Resident.name.ilike(f"%{escaped}%", escape="\\"))
    if community is not None:
        query = query.where(Region.subtree_clause(Resident.region_id, community))
    return query.order_by(Resident.name, Resident.id)


def resident_for_page(resident_id: int) -> Optional[Resident]:
    return db.session.get(Resident, resident_id,
                          options=[joinedload(Resident.region), joinedload(Resident.user)])


def communities_in_scope(user: User) -> list[Region]:
    """Communities in ``user``'s scope, for filters (admins: all)."""
    scope = community_scope(user)
    if scope is None:
        query = sa.select(Region).where(Region.level == RegionLevel.community).order_by(Region.code)
    else:
        query = Region.select_in(scope, RegionLevel.community)
    return list(db.session.scalars(query))


def community_choices(user: User, locale: str):
    """Choices for a community filter; empty when the scope holds one community or none."""
    communities = communities_in_scope(user)
    if len(communities) < 2:
        return []
    return choices([(c.id, c.display_name(locale)) for c in communities])


def region_choices(user: User, locale: str):
    """Communities and their grids in ``user``'s scope, where a resident can be registered."""
    scope = community_scope(user)
    query = sa.select(Region).where(Region.level.in_((RegionLevel.community, RegionLevel.grid)),
                                    Region.active.is_(True))
    if scope is not None:
        query = query.where(Region.path.startswith(scope.path))
    # Path order puts each community's grids right after it ("/1/2/4/" < "/1/2/4/7/" < "/1/2/40/").
    regions = db.session.scalars(query.options(joinedload(Region.parent)).order_by(Region.path))
    labels = []
    for region in regions:
        if region.level == RegionLevel.grid:
            label = f"{region.parent.display_name(locale)} › {region.display_name(locale)}"
            labels.append((region.id, label))
        else:
            labels.append((region.id, region.display_name(locale)))
    return choices(labels)


def accounts_to_verify_for(user: User):
    """Self-registered accounts waiting for ``user`` to verify them, oldest first."""
    return (sa.select(User).where(User.status == AccountStatus.pending, access.accounts_to_verify(user))
            .options(joinedload(User.region)).order_by(User.created_at, User.id))


def claims_of(accounts) -> dict:
    """Pending claims of ``accounts`` on records staff keep, by account id (the accounts page shows them)."""
    ids = [account.id for account in accounts]
    if not ids:
        return {}
    claims = {}
    for model, record in ((ResidentClaim, ResidentClaim.resident), (VolunteerClaim, VolunteerClaim.volunteer)):
        rows = db.session.scalars(sa.select(model).where(model.user_id.in_(ids), model.status == ClaimStatus.pending)
                                  .options(joinedload(record)))
        claims.update({claim.user_id: claim for claim in rows})
    return claims


def access_log(resident: Resident):
    """Who registered the resident and who looked at the full record, when and why."""
    return audit.trail("Resident", resident.id)
