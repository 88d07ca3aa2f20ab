"""The demo's home visits and their ratings: weekly visits of the demo resident's community, served by a
volunteer, closed by the community's staff and rated (the demo resident rates their own visits, staff
enter the ratings of residents without an account); a low rating opens a follow-up, one of them closed.
Every step runs through the services as of the moment it happened (``demo.later``)."""
from __future__ import annotations

from datetime import timedelta
from typing import Optional

import sqlalchemy as sa

from linkage.errors import Refused
from linkage.extensions import db
from linkage.models import (FollowUp, FollowUpStatus, Need, NeedStatus, Region, RegionLevel, Resident, Shift,
                            SignUpStatus, User, Volunteer, VolunteerStatus)
from linkage.ratings import services as rating_services
from linkage.shifts import places, services as shift_services

# Days before today of each weekly visit; the demo resident has not rated the latest one yet.
VISIT_DAYS = (-36, -29, -22, -15, -8, -2)
# The ratings of each visit's needs, in the order of the needs' numbers: one low rating early,
# followed up and closed; one low rating recent, its follow-up still open.
RATINGS = ((5, 4, 5), (4, 2, 5), (5, 5, 4), (4, 5, 5), (5, 4, 1), (4, 5, 4))
COMMENTS = {1: "志愿者迟到了一个小时，也没有提前打电话。", 2: "来的时间太短，没说几句话就走了。",
            5: "小伙子很耐心，陪我聊了很久。", 4: "挺好的，谢谢。"}
OPEN_FOR_VISITS = (NeedStatus.open, NeedStatus.matched, NeedStatus.in_service)


def _community_of_demo_resident(demo) -> tuple[Region, Resident, User]:
    resident = db.session.scalar(sa.select(Resident).where(Resident.user_id == demo.users["resident"]))
    community = resident.region.ancestor_at(RegionLevel.community) or resident.region
    return community, resident, db.session.get(User, demo.staff_of[community.id])


def _needs_to_visit(community: Region, resident: Resident) -> list[Need]:
    """Up to three open needs of the community, the demo resident's first."""
    needs = db.session.scalars(sa.select(Need).where(
        Region.subtree_clause(Need.region_id, community), Need.status.in_(OPEN_FOR_VISITS))
        .order_by((Need.resident_id != resident.id), Need.created_at)).all()
    return list(needs[:3])


def plan(demo) -> None:
    state: dict = {"follow_up_closed": False}
    for week, day in enumerate(VISIT_DAYS):
        start = demo.local(day, 9, 30)
        _plan_visit(demo, state, week, start)


def _plan_visit(demo, state: dict, week: int, start) -> None:
    end = start + timedelta(hours=2)
    visit: dict = {}

    def create() -> None:
        community, resident, staff = _community_of_demo_resident(demo)
        needs = _needs_to_visit(community, resident)
        if not needs or resident.id != needs[0].resident_id:
            return
        data = shift_services.ShiftData(
            title=f"{community.name}·独居老人上门探访", community=community, place=f"{community.name}居民家中",
            start=start, end=end, min_volunteers=1, slots=[(None, 2)],
            description="每周上门探访：陪伴聊天、检查家中用电用气安全。", latitude=community.latitude,
            longitude=community.longitude, needs=needs)
        visit.update(shift=shift_services.create_shift(data, project=None, actor=staff), staff=staff,
                     community=community)

    def sign_up() -> None:
        shift: Optional[Shift] = visit.get("shift")
        if shift is None:
            return
        volunteers = db.session.scalars(sa.select(Volunteer).where(
            Volunteer.region_id == visit["community"].id, Volunteer.status == VolunteerStatus.active)
            .order_by(Volunteer.id)).all()
        visit["records"] = []
        for volunteer in volunteers:
            try:
                with db.session.begin_nested():
                    record = places.sign_up(shift, volunteer, actor=visit["staff"])
            except Refused:
                continue
            if record.status == SignUpStatus.assigned:
                visit["records"].append(record)
            if len(visit["records"]) == 2:
                return

    def attend() -> None:
        for record in visit.get("records", []):
            places.check_in(record, actor=visit["staff"])

    def leave() -> None:
        for record in visit.get("records", []):
            if record.status == SignUpStatus.checked_in:
                places.check_out(record, actor=visit["staff"], confirm_decline=True)

    def close() -> None:
        if visit.get("records"):
            places.close_shift(visit["shift"], actor=visit["staff"])

    def rate() -> None:
        shift = visit.get("shift")
        if shift is None or not visit.get("records"):
            return
        for need, rating in zip(sorted(shift.needs, key=lambda n: n.id), RATINGS[week]):
            if week == len(VISIT_DAYS) - 1 and need.resident.user_id == demo.users["resident"]:
                continue  # left for the demo resident to rate
            rater = need.resident.user or visit["staff"]
            rating_services.rate_visit(shift, need, actor=rater, rating=rating, comment=COMMENTS.get(rating, ""))

    def follow_up() -> None:
        if state["follow_up_closed"] or visit.get("shift") is None:
            return
        opened = db.session.scalar(sa.select(FollowUp).join(FollowUp.rating).where(
            FollowUp.status == FollowUpStatus.open).order_by(FollowUp.id).limit(1))
        if opened is not None:
            rating_services.close_follow_up(opened, actor=visit["staff"],
                                            note="已电话回访居民并致歉；与带队社工沟通，探访时长不少于一小时。")
            state["follow_up_closed"] = True

    demo.later(start - timedelta(days=4), create)
    demo.later(start - timedelta(days=2), sign_up)
    demo.later(start + timedelta(minutes=5), attend)
    demo.later(end - timedelta(minutes=5), leave)
    demo.later(end + timedelta(minutes=40), close)
    demo.later(min(end + timedelta(hours=20), demo.now - timedelta(hours=2)), rate)
    if week == 1:
        demo.later(end + timedelta(days=2), follow_up)
