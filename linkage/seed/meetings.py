"""The demo's joint meetings, made through the same services staff use: one held in the recent past in the
demo community, with its minutes and decisions (one carried out, one still open for the social worker),
and the next one planned for next week, whose agenda the data drafted (the open decision among it)."""
from __future__ import annotations

from datetime import datetime, time, timedelta

import sqlalchemy as sa

from linkage import audit
from linkage.extensions import db
from linkage.meetings import queries, services
from linkage.models import AuditEvent, Meeting, User
from linkage.timeutil import LOCAL_TZ, as_of, to_local

# Who the community's staff invite, by demo username (those registered near the community).
INVITED = ("worker", "orgadmin", "volunteer", "grid", "street")
PLACE = "社区党群服务中心二楼会议室"


def _people(demo, region) -> list[User]:
    invited = {demo.users[name] for name in INVITED if name in demo.users}
    return [user for user in queries.participant_choices(region) if user.id in invited]


def plan(demo) -> None:
    """Put the first meeting into the demo's history: convened, held, decided, one decision carried out —
    between the last event already written and now."""
    audit.append_pending()  # the events recorded so far join the chain, so the newest can be read
    latest = db.session.scalar(sa.select(sa.func.max(AuditEvent.at))) or demo.now - timedelta(days=30)
    convened = max(latest + timedelta(minutes=1), demo.now - timedelta(days=17))
    span = demo.now - timedelta(hours=2) - convened
    start = datetime.combine(to_local(convened + span * 0.2).date(), time(14), LOCAL_TZ)  # an afternoon meeting
    if start <= convened:
        start += timedelta(days=1)
    held, closed = start + timedelta(hours=2), start + (demo.now - timedelta(hours=2) - start) / 2
    staff_id, worker_id = demo.users["community"], demo.users["worker"]
    state: dict = {}

    def convene():
        staff = db.session.get(User, staff_id)
        state["id"] = services.convene(services.MeetingData(
            region=staff.region, title="四社联动联席会议（第一次）", starts_at=start, place=PLACE,
            participants=_people(demo, staff.region)), actor=staff).id

    def hold():
        staff, worker = db.session.get(User, staff_id), db.session.get(User, worker_id)
        meeting = db.session.get(Meeting, state["id"])
        services.record_minutes(meeting, "会议听取了社区需求情况汇报，讨论了独居老人探访和周末助餐的人手安排。"
                                         "社会组织介绍了项目进度，志愿者代表反映了报名和签到的问题。", actor=staff)
        state["done"] = services.decide(meeting, "为周末助餐增设两个志愿者班次", worker,
                                        to_local(closed).date(), actor=staff).id
        services.decide(meeting, "逐户回访评价较低的居民，三日内书面反馈", worker, demo.today + timedelta(days=2),
                        actor=staff)

    def carry_out():
        from linkage.models import MeetingDecision
        services.close_decision(db.session.get(MeetingDecision, state["done"]), "已在排班中增设周六、周日两个班次",
                                actor=db.session.get(User, worker_id))

    demo.later(convened, convene)
    demo.later(held, hold)
    demo.later(closed, carry_out)


def convene_next(demo, moment: datetime) -> None:
    """The next meeting, convened at ``moment`` (after the scheduled checks flagged overdue needs) for a
    week later: its agenda drafted from the data, the first meeting's open decision among it."""
    staff = db.session.get(User, demo.users["community"])
    with as_of(moment):
        services.convene(services.MeetingData(
            region=staff.region, title="四社联动联席会议（第二次）",
            starts_at=datetime.combine(to_local(moment).date() + timedelta(days=7), time(14), LOCAL_TZ), place=PLACE,
            participants=_people(demo, staff.region)), actor=staff)
