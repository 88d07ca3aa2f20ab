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
from linkage.models import (FollowUp, FollowUpStatus, Need, NeedStatus, Region, Resident, Shift,
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
    community = resident.region.community_area()
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
        visit = _Visit(demo, state, week, demo.local(day, 9, 30))
        demo.later(visit.start - timedelta(days=4), visit.create)
        demo.later(visit.start - timedelta(days=2), visit.sign_up)
        demo.later(visit.start + timedelta(minutes=5), visit.attend)
        demo.later(visit.end - timedelta(minutes=5), visit.leave)
        demo.later(visit.end + timedelta(minutes=40), visit.close)
        demo.later(min(visit.end + timedelta(hours=20), demo.now - timedelta(hours=2)), visit.rate)
        if week == 1:
            demo.later(visit.end + timedelta(days=2), visit.follow_up)


class _Visit:
    """One weekly visit, step by step."""

    def __init__(self, demo, state: dict, week: int, start) -> None:
        self.demo, self.state, self.week = demo, state, week
        self.start, self.end = start, start + timedelta(hours=2)
        self.shift: Optional[Shift] = None
        self.records: list = []

    def create(self) -> None:
        community, resident, self.staff = _community_of_demo_resident(self.demo)
        self.community = community
        needs = _needs_to_visit(community, resident)
        if not needs or resident.id != needs[0].resident_id:
            return
        data = shift_services.ShiftData(
            title=f"{community.name}·独居老人上门探访", community=community, place=f"{community.name}居民家中",
            start=self.start, end=self.end, min_volunteers=1, slots=[(None, 2)],
            description="每周上门探访：陪伴聊天、检查家中用电用气安全。", latitude=community.latitude,
            longitude=community.longitude, needs=needs)
        self.shift = shift_services.create_shift(data, project=None, actor=self.staff)

    def sign_up(self) -> None:
        """Two volunteers of the community the rule lets hold a place."""
        if self.shift is None:
            return
        volunteers = db.session.scalars(sa.select(Volunteer).where(
            Volunteer.region_id == self.community.id, Volunteer.status == VolunteerStatus.active)
            .order_by(Volunteer.id)).all()
        for volunteer in volunteers:
            try:
                with db.session.begin_nested():
                    record = places.sign_up(self.shift, volunteer, actor=self.staff)
            except Refused:
                continue
            if record.status == SignUpStatus.assigned:
                self.records.append(record)
            if len(self.records) == 2:
                return

    def attend(self) -> None:
        for record in self.records:
            places.check_in(record, actor=self.staff)

    def leave(self) -> None:
        for record in self.records:
            if record.status == SignUpStatus.checked_in:
                places.check_out(record, actor=self.staff, confirm_decline=True)

    def close(self) -> None:
        if self.records:
            places.close_shift(self.shift, actor=self.staff)

    def rate(self) -> None:
        """Each resident with an account rates their own visit; staff enter the others' ratings."""
        if self.shift is None or not self.records:
            return
        last = self.week == len(VISIT_DAYS) - 1
        for need, rating in zip(sorted(self.shift.needs, key=lambda n: n.id), RATINGS[self.week]):
            if last and need.resident.user_id == self.demo.users["resident"]:
                continue  # left for the demo resident to rate
            rater = need.resident.user or self.staff
            rating_services.rate_visit(self.shift, need, actor=rater, rating=rating, comment=COMMENTS.get(rating, ""))

    def follow_up(self) -> None:
        """Staff close the first follow-up with what they did."""
        if self.state["follow_up_closed"] or self.shift is None:
            return
        opened = db.session.scalar(sa.select(FollowUp).where(FollowUp.status == FollowUpStatus.open)
                                   .order_by(FollowUp.id).limit(1))
        if opened is not None:
            rating_services.close_follow_up(opened, actor=self.staff,
                                            note="已电话回访居民并致歉；与带队社工沟通，探访时长不少于一小时。")
            self.state["follow_up_closed"] = True
