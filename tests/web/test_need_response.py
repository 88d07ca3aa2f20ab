"""A need's response over HTTP: its trail in plain words (the resident's in Chinese), the expected response
time, overdue flags on the lists, the administrators' response targets page, and the on-time report with
its CSV, each in the reader's scope."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from linkage.dashboards.queries import Coverage
from linkage.extensions import db
from linkage.models import AuditEvent, Need, NeedStatus, ResponseTarget
from linkage.needs import escalation, ontime, services
from linkage.timeutil import as_of
from tests.factories import make_resident

NOW = datetime.now(timezone.utc)


def submitted(world, resident=None, urgency=3, hours_ago=30.0, verified_after=None, reject_after=None,
              category=None):
    """A need submitted ``hours_ago``; verified (or rejected) that many hours after submission."""
    at = NOW - timedelta(hours=hours_ago)
    resident = resident or world.resident
    staff = world["staff1"] if resident.region_id == world.c1.id else world["staff3"]
    with as_of(at):
        need = services.submit_need(resident, actor=staff, category=category or world.visits,
                                    title="Check the gas stove", urgency=urgency, consent=True)
    if verified_after is not None:
        with as_of(at + timedelta(hours=verified_after)):
            services.verify_need(need, actor=staff)
    if reject_after is not None:
        with as_of(at + timedelta(hours=reject_after)):
            services.reject_need(need, actor=staff, reason="Served by the street already")
    db.session.commit()
    return need


def check_now():
    escalation.check()
    db.session.commit()


def test_the_residents_trail_reads_in_chinese(client, auth, world):
    need = submitted(world, urgency=4, hours_ago=60)         # 8 h target, escalated after 48 h more
    check_now()
    auth.login("resident")
    client.post("/auth/language/zh_CN")
    html = client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert "已提交" in html
    assert "处理时间超出承诺，已提醒社区" in html
    assert "已转交街道办事处跟进" in html
    assert "预计答复" in html and "8 小时内" in html
    assert "已上报街道" in html
    assert "need.flag_overdue" not in html and "Taking longer" not in html and "staff1" not in html


def test_staff_see_who_did_what_and_the_flag(client, auth, world):
    need = submitted(world, urgency=3, hours_ago=30)
    check_now()
    auth.login("staff1")
    html = client.get(f"/community/needs/{need.id}").get_data(as_text=True)
    assert "Past its response target" in html and "Within 24 hours" in html
    assert world["staff1"].display_name in html and "the platform" in html
    assert "Response target (hours)" in html                    # what the event recorded, in words
    listing = client.get("/community/needs").get_data(as_text=True)
    assert "Overdue" in listing


def test_the_list_flags_escalated_needs(client, auth, world):
    submitted(world, urgency=4, hours_ago=100)
    check_now()
    auth.login("staff1")
    assert "Escalated" in client.get("/community/needs").get_data(as_text=True)


def test_admins_set_targets_on_a_page(client, auth, world):
    auth.login("admin")
    page = client.get("/admin/response-targets")
    assert page.status_code == 200 and "Elderly care" in page.get_data(as_text=True)
    # Rows follow the sectors in code order: elderly, youth.
    data = {"rows-0-u1": "", "rows-0-u2": "", "rows-0-u3": "12", "rows-0-u4": "", "rows-1-u1": "200",
            "rows-1-u2": "", "rows-1-u3": "", "rows-1-u4": ""}
    assert client.post("/admin/response-targets", data=data).status_code == 302
    rows = {(r.category_id, r.urgency): r.hours for r in db.session.scalars(sa.select(ResponseTarget))}
    assert rows == {(world.care.id, 3): 12, (world.tutoring.parent_id, 1): 200}
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(
        AuditEvent.action == "response_target.set")) == 2

    bad = client.post("/admin/response-targets", data={**data, "rows-0-u3": "6", "rows-1-u2": "abc"})
    assert bad.status_code == 200 and "Enter whole hours" in bad.get_data(as_text=True)
    too_big = client.post("/admin/response-targets", data={**data, "rows-0-u4": "99999"})
    assert "Enter from 1 to 8760 hours" in too_big.get_data(as_text=True)
    assert {(r.category_id, r.urgency): r.hours for r in db.session.scalars(sa.select(ResponseTarget))} == rows

    assert client.post("/admin/response-targets", data={**data, "rows-0-u3": ""}).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(ResponseTarget.id))) == 1
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(
        AuditEvent.action == "response_target.reset")) == 1


@pytest.fixture
def app_config():
    return {"ON_TIME_MIN_COUNT": 3}


@pytest.fixture
def history(world):
    """Needs in community 1 (urgency 3, 24 h target) answered in various ways, and some in community 3."""
    other = make_resident(world.c3, name="Zhou Lan")
    plan = [dict(verified_after=2), dict(verified_after=23), dict(verified_after=25), dict(reject_after=5),
            dict(hours_ago=48), dict(hours_ago=10),                         # late (waiting), not yet due
            dict(verified_after=1, category=world.tutoring)]                # another sector
    needs = [submitted(world, **{"hours_ago": 100, **p}) for p in plan]
    with as_of(NOW - timedelta(hours=99)):
        services.withdraw_need(needs[-1], actor=world["staff1"])  # withdrawn: asked for nothing more
    for hours in (1, 30):
        needs.append(submitted(world, resident=other, verified_after=hours, hours_ago=100))
    db.session.commit()
    return needs


def independent_count(world, region):
    """On time / counted per sector, counted straight from the needs' own times."""
    result = {}
    for need in db.session.scalars(sa.select(Need).where(Need.region_id == region.id)):
        if need.status == NeedStatus.withdrawn:
            continue
        due = need.created_at + timedelta(hours=24)
        answered = need.verified_at or (need.closed_at if need.status == NeedStatus.rejected else None)
        if answered is None and NOW < due:
            continue
        sector = need.category.sector.id
        on_time, counted = result.get(sector, (0, 0))
        result[sector] = (on_time + (answered is not None and answered <= due), counted + 1)
    return result


def table(html):
    return html.split('id="on-time"')[1].split("</table>")[0]


def test_on_time_shares_equal_an_independent_count(client, auth, world, history):
    expected = independent_count(world, world.c1)
    assert expected == {world.care.id: (3, 5)}          # the tutoring need was withdrawn
    auth.login("staff1")
    html = table(client.get("/community/needs/on-time").get_data(as_text=True))
    assert "Plum Community" in html and "River Community" not in html
    assert "<td class=\"text-end\">5</td>" in html and "<td class=\"text-end\">3</td>" in html
    assert "60.0%" in html

    response = client.get("/community/needs/on-time.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[1:] == [["Plum Community", "Elderly care", "5", "3", "60.0"]]


def test_a_share_below_the_minimum_count_is_hidden(client, auth, world, history):
    auth.login("staff3")
    html = table(client.get("/community/needs/on-time").get_data(as_text=True))
    assert "River Community" in html and "Plum Community" not in html
    assert "Too few to report" in html and "%" not in html
    rows = list(csv.reader(io.StringIO(client.get("/community/needs/on-time.csv").get_data(as_text=True)
                                       .lstrip("\ufeff"))))
    assert rows[1:] == [["River Community", "Elderly care", "2", "", "Too few to report"]]


def test_the_report_and_the_dashboards_hide_a_share_below_the_same_count(world, history):
    """One rule hides a share counted from too few needs: the on-time report's rows and the dashboards'
    coverage ask the same function, so the same counts are shown and hidden in both."""
    assert ontime.min_count() == 3
    rows = ontime.report(world["civil"])
    assert [(row.community.name, row.counted, row.shown) for row in rows] == [("Plum Community", 5, True),
                                                                             ("River Community", 2, False)]
    for row in rows:
        assert Coverage(row.sector.id, row.counted, row.on_time, ontime.min_count()).shown is row.shown
    for counted in range(6):
        assert Coverage(None, counted, 0, 3).shown is ontime.share_shown(counted, 3) is (counted >= 3)
    assert ontime.share_shown(0, 1) is False and Coverage(None, 0, 0, 1).share is None


def test_civil_affairs_of_the_district_see_every_community(client, auth, world, history):
    auth.login("civil")
    html = table(client.get("/community/needs/on-time").get_data(as_text=True))
    assert "Plum Community" in html and "River Community" in html
    auth.logout()
    auth.login("civil2")                                        # street 2: community 3 only
    html = table(client.get("/community/needs/on-time").get_data(as_text=True))
    assert "River Community" in html and "Plum Community" not in html


def test_others_cannot_read_the_report(client, auth, world, history):
    for user in ("resident", "vol", "orgadmin", "grid"):
        auth.login(user)
        assert client.get("/community/needs/on-time").status_code == 403
        assert client.get("/community/needs/on-time.csv").status_code == 403
        auth.logout()
