"""The start page tells each person what they must do today, with counts that equal what the linked
page lists, within their own scope only."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from linkage.extensions import db
from linkage.models import (HoursStatus, Need, NeedStatus, OrgStatus, Organization, Region, Role, Shift, SignUp,
                            SignUpStatus, User)
from linkage.seed import DEMO_PASSWORD
from linkage.timeutil import now
from tests.factories import make_need, make_org, make_resident, make_shift

TASK = re.compile(r'href="([^"]+)" data-task="(\w+)">\s*<span>([^<]+)</span>\s*<span class="badge[^"]*">(\d+)</span>')


def tasks(client) -> dict[str, tuple[int, str, str]]:
    """The start page's tasks: key -> (count, words, link)."""
    page = client.get("/").get_data(as_text=True)
    return {key: (int(count), words, link.replace("&amp;", "&")) for link, key, words, count in TASK.findall(page)}


def need_rows(client, url) -> int:
    return len(set(re.findall(r'href="/community/needs/(\d+)"', client.get(url).get_data(as_text=True))))


def test_community_staff_see_the_needs_of_their_community_waiting_for_them(client, auth, world):
    for index in range(2):
        make_need(world.resident, world.visits, status=NeedStatus.submitted, title=f"Plum need {index}")
    other = make_resident(world.c3, name="River resident")
    make_need(other, world.visits, status=NeedStatus.submitted, title="River need")
    db.session.commit()

    auth.login("staff1")
    count, words, link = tasks(client)["needs_to_verify"]
    assert count == 2 and words == "2 needs wait for verification"
    assert need_rows(client, link) == 2                 # the page behind the count lists exactly those
    assert "needs_overdue" not in tasks(client)         # none is past its target yet
    auth.logout()
    auth.login("staff3")
    assert tasks(client)["needs_to_verify"][:2] == (1, "1 need waits for verification")


def test_an_overdue_need_comes_first_and_leaves_the_list_once_verified(client, auth, world):
    need = make_need(world.resident, world.visits, status=NeedStatus.submitted)
    need.overdue_at = now() - timedelta(hours=1)
    db.session.commit()
    auth.login("staff1")
    page = client.get("/").get_data(as_text=True)
    assert page.index('data-task="needs_overdue"') < page.index('data-task="needs_to_verify"')
    assert tasks(client)["needs_overdue"][0] == 1

    assert client.post(f"/community/needs/{need.id}/verify").status_code == 302
    assert db.session.get(Need, need.id).status == NeedStatus.open
    assert not {"needs_overdue", "needs_to_verify"} & tasks(client).keys()
    assert "Nothing waits for you today." in client.get("/").get_data(as_text=True)


def test_civil_affairs_see_organizations_to_verify_in_their_area_only(client, auth, world):
    make_org("New Dawn Center", world.street2, status=OrgStatus.registered)
    make_org("Far Away Center", make_region_outside(), status=OrgStatus.registered)
    db.session.commit()
    auth.login("civil2")   # the Bund street
    count, _words, link = tasks(client)["organizations_to_verify"]
    assert count == 1
    assert "New Dawn Center" in client.get(link).get_data(as_text=True)
    auth.logout()
    auth.login("civil")    # the whole district
    assert tasks(client)["organizations_to_verify"][0] == 1


def make_region_outside() -> Region:
    from tests.factories import make_region
    from linkage.models import RegionLevel
    return make_region("Xuhui", RegionLevel.district, code="310104")


def test_volunteers_and_their_lead_see_tomorrows_shift_and_hours_to_approve(client, auth, world):
    tomorrow = make_shift(world.c1, lead=world.worker, start=now() + timedelta(days=1))
    db.session.add(SignUp(shift=tomorrow, volunteer=world.volunteer, status=SignUpStatus.assigned))
    past = make_shift(world.c1, lead=world.worker, start=now() - timedelta(days=2))
    db.session.add(SignUp(shift=past, volunteer=world.volunteer, status=SignUpStatus.checked_out, minutes=120,
                          hours_status=HoursStatus.pending))
    db.session.commit()

    auth.login("vol")
    assert tasks(client)["my_shifts_soon"][:2] == (1, "You have 1 shift today or tomorrow")
    auth.logout()
    auth.login("worker")
    found = tasks(client)
    assert found["led_shifts_soon"][0] == 1
    count, _words, link = found["hours_to_approve"]
    assert count == 1 and link == "/shifts/hours"
    page = client.get(link).get_data(as_text=True)
    assert past.title in page and f"/shifts/{past.id}/roster" in page
    auth.logout()
    auth.login("staff1")  # the community's staff keep its shifts' rosters too
    assert tasks(client)["hours_to_approve"][:1] == (1,)


def test_tasks_are_in_chinese_for_a_chinese_reader(client, auth, world):
    make_need(world.resident, world.visits, status=NeedStatus.submitted)
    db.session.commit()
    auth.login("staff1")
    client.post("/auth/language/zh_CN")
    page = client.get("/").get_data(as_text=True)
    assert "今日待办" in page and "1 条需求等待核实" in page


@pytest.mark.slow
def test_on_the_demo_every_role_with_work_sees_it_and_every_link_opens(client, auth, app, seeded_demo):
    community = db.session.scalar(sa.select(User).where(User.username == "community"))
    scope = community.region
    submitted = db.session.scalar(sa.select(sa.func.count(Need.id)).join(Region, Region.id == Need.region_id).where(
        Need.status == NeedStatus.submitted, Region.path.startswith(scope.path)))
    registered = db.session.scalar(sa.select(sa.func.count(Organization.id)).where(
        Organization.status == OrgStatus.registered))

    seen = {}
    for username in ("community", "civil", "worker", "volunteer", "orgadmin", "expert", "resident", "grid"):
        auth.login(username, DEMO_PASSWORD)
        seen[username] = tasks(client)
        for key, (count, words, link) in seen[username].items():
            assert count > 0 and str(count) in words, (username, key)
            assert client.get(link).status_code == 200, (username, key, link)
        auth.logout()
    assert seen["community"].get("needs_to_verify", (0,))[0] == submitted
    if registered:
        assert seen["civil"]["organizations_to_verify"][0] == registered
    assert seen["community"] and seen["civil"] and seen["worker"]
    # The demo's open follow-up of a low rating, certificates waiting for the social worker, the volunteer's
    # place offered from a waiting list, the social worker's decision of the last joint meeting.
    assert {"follow_ups"} <= seen["community"].keys()
    assert {"claims_to_decide", "decisions_due"} <= seen["worker"].keys()
    assert {"offers_to_answer"} <= seen["volunteer"].keys()
    role_of = dict(db.session.execute(sa.select(User.username, User.role)).all())
    assert role_of["civil"] == Role.civil_affairs
    assert db.session.scalar(sa.select(sa.func.count(Shift.id))) > 0
