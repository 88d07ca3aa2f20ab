"""The demo's joint meetings, made through the same services staff use: one held two weeks ago in the
demo community, with its minutes and decisions (one carried out, one still open for the social worker),
and the next one planned for next week, whose agenda the data drafted (the open decision among it)."""
from __future__ import annotations

from datetime import datetime, time, timedelta

from linkage.extensions import db
from linkage.meetings import queries, services
from linkage.models import User
from linkage.timeutil import LOCAL_TZ, as_of

# Who the community's staff invite, by demo username (those registered near the community).
INVITED = ("worker", "orgadmin", "volunteer", "grid", "street")


def _at(day, hour: int) -> datetime:
    return datetime.combine(day, time(hour), LOCAL_TZ)


def plan(demo) -> None:
    staff = db.session.get(User, demo.users["community"])
    region = staff.region
    invited = {demo.users[name] for name in INVITED if name in demo.users}
    people = [user for user in queries.participant_choices(region) if user.id in invited]
    worker = db.session.get(User, demo.users["worker"])
    held_day = demo.today - timedelta(days=14)
    with as_of(_at(held_day - timedelta(days=3), 10)):
        held = services.convene(services.MeetingData(
            region=region, title="四社联动联席会议（第一次）", starts_at=_at(held_day, 14),
            place="社区党群服务中心二楼会议室", participants=people), actor=staff)
    with as_of(_at(held_day, 16)):
        services.record_minutes(held, "会议听取了社区需求情况汇报，讨论了独居老人探访和周末助餐的人手安排。"
                                      "社会组织介绍了项目进度，志愿者代表反映了报名和签到的问题。", actor=staff)
        done = services.decide(held, "为周末助餐增设两个志愿者班次", worker, held_day + timedelta(days=7),
                               actor=staff)
        services.decide(held, "逐户回访评价较低的居民，三日内书面反馈", worker, demo.today + timedelta(days=2),
                        actor=staff)
    with as_of(_at(held_day + timedelta(days=5), 18)):
        services.close_decision(done, "已在排班中增设周六、周日两个班次", actor=worker)
    with as_of(_at(demo.today, 9)):
        services.convene(services.MeetingData(
            region=region, title="四社联动联席会议（第二次）", starts_at=_at(demo.today + timedelta(days=7), 14),
            place="社区党群服务中心二楼会议室", participants=people), actor=staff)
