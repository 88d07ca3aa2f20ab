"""Joint meetings of the four forces: convened by community staff with an agenda drafted from the data
(each item traceable to its record), minutes, decisions with an owner and a due date that the next
meeting follows up, participants told; scoped to the community or street; bad input changes nothing."""
from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from linkage.extensions import db
from linkage.models import (AgendaItem, AgendaKind, AuditEvent, DecisionStatus, Feedback, Meeting, MeetingDecision,
                            MeetingStatus, NeedStatus, Notification)
from linkage.timeutil import as_of, now, to_local
from tests.factories import make_need, make_shift


def when(delta: timedelta) -> str:
    return to_local(now() + delta).strftime("%Y-%m-%dT%H:%M")


def convene(client, world, *people, title="Plum joint meeting", start=timedelta(days=2), region=None):
    return client.post("/meetings/new", data={
        "region": (region or world.c1).id, "title": title, "starts_at": when(start), "place": "Community hall",
        "participants": [world[p].id for p in people]})


def the_data(world):
    """Something of each kind the agenda is drafted from, in community A; and one need elsewhere."""
    overdue = make_need(world.resident, world.visits, status=NeedStatus.submitted, title="Overdue need")
    overdue.overdue_at = now() - timedelta(hours=3)
    with as_of(now() - timedelta(days=30)):
        unserved = make_need(world.resident, world.visits, status=NeedStatus.open, title="Unserved need")
    short = make_shift(world.c1, start=now() + timedelta(days=4), min_volunteers=2, title="Short shift")
    rated = make_need(world.resident, world.visits, status=NeedStatus.closed, title="Badly served need")
    db.session.add(Feedback(need=rated, rating=1, comment="Nobody came on time"))
    elsewhere = make_need(world.resident, world.visits, status=NeedStatus.submitted, title="Pine need")
    elsewhere.region, elsewhere.overdue_at = world.c3, now()
    db.session.commit()
    return overdue, unserved, short, rated


def test_convening_drafts_the_agenda_from_the_data_and_tells_the_participants(client, auth, world):
    overdue, unserved, short, rated = the_data(world)
    auth.login("staff1")
    response = convene(client, world, "worker", "orgadmin", "vol")
    assert response.status_code == 302, response.get_data(as_text=True)
    meeting = db.session.scalar(sa.select(Meeting))
    kinds = {(item.kind, item.subject_type, item.subject_id) for item in meeting.items}
    assert kinds == {(AgendaKind.overdue_need, "Need", overdue.id), (AgendaKind.unserved_need, "Need", unserved.id),
                     (AgendaKind.short_shift, "Shift", short.id), (AgendaKind.low_rating, "Need", rated.id)}
    page = client.get(response.location).get_data(as_text=True)
    for path in (f"/community/needs/{overdue.id}", f"/community/needs/{unserved.id}", f"/shifts/{short.id}"):
        assert f'href="{path}"' in page                    # every item leads to its record
    assert "Pine need" not in page                          # another community's data stays out
    told = set(db.session.scalars(sa.select(Notification.user_id).where(Notification.kind == "meeting_convened")))
    assert told == {world["worker"].id, world["orgadmin"].id, world["vol"].id}
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "meeting.convene"))
    assert event.actor_id == world["staff1"].id and event.after["agenda"] == 4


def test_only_the_place_and_its_people_see_a_meeting(client, auth, world):
    auth.login("staff1")
    meeting_url = convene(client, world, "vol").location
    auth.logout()
    for username, status in (("vol", 200), ("civil", 200), ("staff3", 403), ("vol3", 403), ("orgadmin2", 403)):
        auth.login(username)
        assert client.get(meeting_url).status_code == status, username
        listed = "Plum joint meeting" in client.get("/meetings/").get_data(as_text=True)
        assert listed == (status == 200), username
        auth.logout()


def test_bad_input_is_refused_with_words_and_writes_nothing(client, auth, world):
    auth.login("staff1")
    page = convene(client, world, "vol", start=-timedelta(hours=2)).get_data(as_text=True)
    assert "A meeting is convened for a time still to come." in page
    page = convene(client, world, "vol3").get_data(as_text=True)              # lives in the other street
    assert "Participants come from the community or street of the meeting." in page and "'1" not in page
    page = convene(client, world, "vol", region=world.c3).get_data(as_text=True)  # not staff1's community
    assert "Choose a community or street you may convene for." in page
    assert db.session.scalar(sa.select(sa.func.count(Meeting.id))) == 0
    auth.logout()
    auth.login("vol")
    assert client.get("/meetings/new").status_code == 403


def test_minutes_decisions_and_their_follow_up_at_the_next_meeting(client, auth, world):
    auth.login("staff1")
    meeting_id = int(convene(client, world, "vol", "worker").location.rsplit("/", 1)[1])
    early = client.post(f"/meetings/{meeting_id}/minutes", data={"minutes": "Too soon"})
    assert "Minutes are recorded once the meeting has begun" in early.get_data(as_text=True)
    assert client.post(f"/meetings/{meeting_id}/decisions", data={
        "text": "Too soon", "owner": world["vol"].id, "due_on": "2099-01-01"}).status_code == 200

    with as_of(now() + timedelta(days=2, hours=1)):
        assert client.post(f"/meetings/{meeting_id}/minutes", data={"minutes": "We met."}).status_code == 302
        meeting = db.session.get(Meeting, meeting_id)
        assert meeting.status == MeetingStatus.held and meeting.minutes_text == "We met."
        due = (to_local(now()) + timedelta(days=1)).date()
        for text in ("Call the family of Mrs Wu", "Find two more volunteers"):
            assert client.post(f"/meetings/{meeting_id}/decisions", data={
                "text": text, "owner": world["vol"].id, "due_on": due.isoformat()}).status_code == 302
        past = client.post(f"/meetings/{meeting_id}/decisions", data={
            "text": "Late", "owner": world["vol"].id, "due_on": (due - timedelta(days=5)).isoformat()})
        assert "The due date cannot be in the past." in past.get_data(as_text=True)
        stranger = client.post(f"/meetings/{meeting_id}/decisions", data={
            "text": "Not theirs", "owner": world["staff3"].id, "due_on": due.isoformat()})
        assert stranger.status_code == 200
        assert db.session.scalar(sa.select(sa.func.count(MeetingDecision.id))) == 2
        assert db.session.scalar(sa.select(sa.func.count(Notification.id)).where(
            Notification.kind == "meeting_decision", Notification.user_id == world["vol"].id)) == 2

        auth.logout()
        auth.login("vol")
        home = client.get("/").get_data(as_text=True)
        assert 'data-task="decisions_due"' in home and "2 decisions of joint meetings" in home
        first = db.session.scalar(sa.select(MeetingDecision).where(MeetingDecision.text.startswith("Call")))
        assert client.post(f"/meetings/decisions/{first.id}/done", data={"note": "Called on Monday"}).status_code == 302
        assert db.session.get(MeetingDecision, first.id).status == DecisionStatus.done
        auth.logout()

        auth.login("staff1")
        next_url = convene(client, world, "vol", title="Next meeting", start=timedelta(days=7)).location
        follow_ups = db.session.scalars(sa.select(AgendaItem).where(
            AgendaItem.kind == AgendaKind.follow_up,
            AgendaItem.meeting_id == int(next_url.rsplit("/", 1)[1]))).all()
        assert [item.text for item in follow_ups] == ["Find two more volunteers"]   # the done one is not carried
        assert "Find two more volunteers" in client.get(next_url).get_data(as_text=True)


def test_cancelling_tells_the_participants_and_freezes_the_meeting(client, auth, world):
    auth.login("staff1")
    meeting_id = int(convene(client, world, "vol").location.rsplit("/", 1)[1])
    assert client.post(f"/meetings/{meeting_id}/cancel", data={"reason": ""}).status_code == 200
    assert client.post(f"/meetings/{meeting_id}/cancel", data={"reason": "The hall is closed"}).status_code == 302
    assert db.session.get(Meeting, meeting_id).status == MeetingStatus.cancelled
    assert db.session.scalar(sa.select(Notification).where(Notification.kind == "meeting_cancelled")
                             ).user_id == world["vol"].id
    refused = client.post(f"/meetings/{meeting_id}/agenda", data={"text": "More"})
    assert refused.status_code == 200 and "This meeting was cancelled." in refused.get_data(as_text=True)


def test_the_meeting_reads_in_chinese(client, auth, world):
    the_data(world)
    auth.login("staff1")
    client.post("/auth/language/zh_CN")
    url = convene(client, world, "vol").location
    page = client.get(url).get_data(as_text=True)
    assert "议程" in page and "需求超过答复时限" in page and "会议纪要" in page and "分钟" not in page
    assert re.search(r"联席会议", client.get("/meetings/").get_data(as_text=True))


def test_a_visit_rated_low_goes_on_the_agenda_as_the_follow_up_setting_says(client, auth, world):
    from linkage.ratings import services as ratings
    from tests.ratings_support import make_visit
    shift, need = make_visit(world, title="Badly done visit")
    ratings.rate_visit(shift, need, actor=world["resident"], rating=2)
    db.session.commit()
    auth.login("staff1")
    meeting_id = int(convene(client, world, "vol").location.rsplit("/", 1)[1])
    low = [(i.subject_type, i.subject_id) for i in db.session.get(Meeting, meeting_id).items
           if i.kind == AgendaKind.low_rating]
    assert low == [("Need", need.id)]


def test_organization_admins_are_invited_by_their_organizations_service_area_not_their_account(client, auth, world):
    from linkage.meetings import queries
    # org1 serves street 1 (Plum lies in it) but its admin's account names street 2; org2 serves street 2 only,
    # its admin's account names Plum itself
    world["orgadmin"].region, world["orgadmin2"].region = world.street2, world.c1
    db.session.commit()
    offered = {user.id for user in queries.participant_choices(world.c1)}
    assert world["orgadmin"].id in offered and world["orgadmin2"].id not in offered
    auth.login("staff1")
    assert convene(client, world, "orgadmin").status_code == 302
    refused = convene(client, world, "orgadmin2", title="Second meeting")
    assert refused.status_code == 200 and "Participants come from the community or street" in refused.get_data(
        as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Meeting)) == 1
    # a street meeting of street 2 asks org2's admin, wherever their account says they are
    assert world["orgadmin2"].id in {user.id for user in queries.participant_choices(world.street2)}
    assert world["orgadmin"].id not in {user.id for user in queries.participant_choices(world.street2)}
