"""Shifts: create (project shifts and community activities), edit, cancel, browse, detail, access."""
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from linkage.extensions import db
from linkage.models import (AuditEvent, ProjectStatus, Shift, ShiftSlot, ShiftStatus, SignUp, SignUpStatus)
from linkage.timeutil import LOCAL_TZ
from tests.factories import make_shift
from tests.web.test_shifts_support import (add_sign_up, audit_actions, count, hour, local_field, need, notifications,
                                           now, project_shift, running_project, text, volunteer)


@pytest.fixture
def app_config():
    return {"BABEL_DEFAULT_LOCALE": "en", "PER_PAGE": 5}


def shift_form(world, **overrides):
    start = hour(days=5, at=9)
    data = {
        "title": "Companionship visits", "description": "Visit and chat", "community": world.c1.id,
        "place": "Plum community center", "latitude": "", "longitude": "",
        "start": local_field(start), "end": local_field(start + timedelta(hours=2)), "urgency": "",
        "min_volunteers": "2", "slots-0-skill": str(world.elder_care.id), "slots-0-count": "2",
        "slots-1-skill": "", "slots-1-count": "3", "slots-2-skill": "", "slots-2-count": "",
        "slots-3-skill": "", "slots-3-count": "", "lead": str(world.worker.id), "first_come": "1",
        "insurance_note": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# --- create -------------------------------------------------------------------------------------------

def test_worker_creates_a_shift_for_the_project_their_organization_won(client, auth, world):
    urgent = need(world, urgency=4, title="Urgent visit")
    routine = need(world, urgency=1, title="Routine visit")
    project = running_project(world, needs=[urgent, routine])
    db.session.commit()
    auth.login("worker")
    chooser = client.get("/shifts/new")
    assert chooser.status_code == 200 and project.title in text(chooser)
    page = client.get(f"/shifts/new?project={project.id}")
    assert page.status_code == 200
    assert f'<option selected value="{world.worker.id}">' in text(page)  # lead defaults to the creator
    assert "Urgent visit" in text(page)
    response = client.post(f"/shifts/new?project={project.id}",
                           data={**shift_form(world), "needs": [urgent.id, routine.id]})
    assert response.status_code == 302, text(response)
    shift = db.session.scalar(sa.select(Shift))
    assert response.headers["Location"].endswith(f"/shifts/{shift.id}")
    assert shift.project_id == project.id and shift.lead_id == world.worker.id
    assert shift.capacity == 5 and shift.min_volunteers == 2 and shift.status == ShiftStatus.open
    assert [(s.skill_id, s.count) for s in shift.slots] == [(world.elder_care.id, 2), (None, 3)]
    assert shift.urgency == 4  # default: the most urgent need served
    assert (shift.latitude, shift.longitude) == (world.c1.latitude, world.c1.longitude)
    assert {n.id for n in shift.needs} == {urgent.id, routine.id}
    assert shift.created_by_id == world["worker"].id
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "shift.create"))
    assert event.subject_id == shift.id and event.actor_id == world["worker"].id
    assert event.after["slots"] == [["elder_care", 2], [None, 3]]


def test_staff_create_a_community_activity_in_their_community(client, auth, world):
    auth.login("staff1")
    assert client.get("/shifts/new").status_code == 200
    response = client.post("/shifts/new", data=shift_form(world, lead="", urgency="3", latitude="31.3",
                                                          longitude="121.5", requires_insurance="y",
                                                          insurance_note="PICC group accident policy"))
    assert response.status_code == 302, text(response)
    shift = db.session.scalar(sa.select(Shift))
    assert shift.project_id is None and shift.region_id == world.c1.id and shift.lead_id is None
    assert (shift.latitude, shift.longitude, shift.urgency) == (31.3, 121.5, 3)
    assert shift.requires_insurance and shift.insurance_note == "PICC group accident policy"
    assert audit_actions(shift) == ["shift.create"]


def test_staff_cannot_place_an_activity_in_another_community(client, auth, world):
    auth.login("staff1")
    response = client.post("/shifts/new", data=shift_form(world, community=str(world.c3.id), lead=""))
    assert response.status_code == 200 and count(Shift) == 0


@pytest.mark.parametrize("username,status", [
    ("worker", 200), ("orgadmin", 200), ("admin", 200), ("worker2", 403), ("orgadmin2", 403), ("staff1", 403),
    ("staff3", 403), ("vol", 403), ("civil", 403), ("resident", 403), ("grid", 403), ("expert", 403),
    ("observer", 403)])
def test_only_the_winning_organization_adds_shifts_to_a_project(client, auth, world, username, status):
    project = running_project(world)
    db.session.commit()
    auth.login(username)
    assert client.get(f"/shifts/new?project={project.id}").status_code == status
    if status == 403:
        client.post(f"/shifts/new?project={project.id}", data=shift_form(world))
        assert count(Shift) == 0


@pytest.mark.parametrize("username,status", [
    ("staff1", 200), ("staff3", 200), ("worker", 200), ("vol", 403), ("civil", 403), ("resident", 403),
    ("grid", 403), ("observer", 403), ("expert", 403)])
def test_new_shift_page_per_role(client, auth, world, username, status):
    auth.login(username)
    assert client.get("/shifts/new").status_code == status


@pytest.mark.parametrize("project_status", [ProjectStatus.published, ProjectStatus.completed, ProjectStatus.cancelled])
def test_no_shifts_for_projects_that_do_not_run(client, auth, world, project_status):
    project = running_project(world, status=project_status)
    db.session.commit()
    auth.login("worker")
    assert client.get(f"/shifts/new?project={project.id}").status_code == 403
    assert client.get("/shifts/new?project=999999").status_code == 404


def _bad_inputs(world):
    other = running_project(world, org=world.org2, region=world.street2)
    foreign_need = need(world, title="Other project need", project=other)
    past = now() - timedelta(hours=3)
    return [
        ({"title": ""}, "Give the shift a title."),
        ({"end": local_field(hour(days=5, at=8))}, "The end must be after the start."),
        ({"start": local_field(past), "end": local_field(past + timedelta(hours=1))},
         "The start cannot be in the past."),
        ({"start": "tomorrow"}, "Not a valid datetime value."),
        ({"slots-0-count": "", "slots-1-count": ""}, "Add at least one slot"),
        ({"slots-1-count": "0"}, "Enter a number of places from 1 to 500."),
        ({"min_volunteers": "9"}, "The minimum cannot exceed the places in the slots."),
        ({"slots-1-count": "24"}, "One lead supervises at most 25 volunteers"),
        ({"slots-1-skill": str(world.elder_care.id)}, "may appear in one slot only"),
        ({"slots-2-skill": str(world.first_aid.id)}, "Enter how many places this skill needs."),
        ({"requires_insurance": "y"}, "Say which accident insurance covers the volunteers."),
        ({"latitude": "31.2"}, "Enter both latitude and longitude, or neither."),
        ({"latitude": "95", "longitude": "121"}, "A latitude lies between -90 and 90."),
        ({"community": str(world.c3.id)}, "Not a valid choice"),            # outside the project's street
        ({"lead": str(world.worker2.id)}, "Not a valid choice"),            # another organization's worker
        ({"needs": [foreign_need.id]}, "not a valid choice"),              # another project's need
        ({"lead": ""}, "Choose the lead social worker."),
        ({"urgency": "7"}, "Not a valid choice"),
    ]


def test_bad_input_on_the_shift_form_writes_nothing(client, auth, world):
    project = running_project(world)
    cases = _bad_inputs(world)
    db.session.commit()
    auth.login("worker")
    before = (count(Shift), count(ShiftSlot), count(AuditEvent))
    for overrides, message in cases:
        response = client.post(f"/shifts/new?project={project.id}",
                               data=shift_form(world, title=overrides.pop("title", "Typed title"), **overrides))
        assert response.status_code == 200, (overrides, message)
        body = text(response).replace("&#34;", '"').replace("&#39;", "'")
        assert message in body, (overrides, message)
        if message != "Give the shift a title.":
            assert 'value="Typed title"' in body  # what was typed is kept
    assert (count(Shift), count(ShiftSlot), count(AuditEvent)) == before


# --- edit and cancel ----------------------------------------------------------------------------------

def test_edit_tells_everyone_signed_up_what_the_shift_is_now(client, auth, world):
    shift = project_shift(world, slots=((None, 2),))
    add_sign_up(shift, world.volunteer)
    waiting = volunteer(world)
    add_sign_up(shift, volunteer(world))
    add_sign_up(shift, waiting, status=SignUpStatus.waitlisted)
    version = shift.version
    db.session.commit()
    auth.login("worker")
    page = client.get(f"/shifts/{shift.id}/edit")
    assert page.status_code == 200 and 'value="Community center"' in text(page)
    new_start = shift.start + timedelta(hours=1)
    response = client.post(f"/shifts/{shift.id}/edit", data=shift_form(
        world, title=shift.title, place="Plum park gate", start=local_field(new_start),
        end=local_field(new_start + timedelta(hours=2)),
        **{"slots-0-skill": "", "slots-0-count": "2", "slots-1-count": ""}))
    assert response.status_code == 302, text(response)
    db.session.refresh(shift)
    assert shift.place == "Plum park gate" and shift.start == new_start and shift.version > version
    for user in (world["vol"], waiting.user):
        [message] = notifications(user, "shift_updated")
        assert message.params["place"] == "Plum park gate"
        assert (message.link_endpoint, message.link_args) == ("shifts.detail", {"shift_id": shift.id})
        assert datetime.fromisoformat(message.params["start"]) == new_start
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "shift.update"))
    assert event.before["place"] == "Community center" and event.after["place"] == "Plum park gate"


def test_edit_cannot_drop_places_below_those_taken(client, auth, world):
    shift = project_shift(world, slots=((None, 3),))
    add_sign_up(shift, world.volunteer)
    add_sign_up(shift, volunteer(world))
    db.session.commit()
    auth.login("worker")
    response = client.post(f"/shifts/{shift.id}/edit", data=shift_form(
        world, title="Changed", min_volunteers="1", **{"slots-0-skill": "", "slots-0-count": "1", "slots-1-count": ""}))
    assert response.status_code == 200
    assert "2 volunteers hold places" in text(response).replace("&#34;", '"')
    db.session.refresh(shift)
    assert shift.title == "Companionship visits" and shift.capacity == 3


def test_more_places_go_to_the_waiting_list(client, auth, world):
    shift = project_shift(world, slots=((None, 1),))
    add_sign_up(shift, world.volunteer)
    waiting = volunteer(world)
    entry = add_sign_up(shift, waiting, status=SignUpStatus.waitlisted)
    db.session.commit()
    auth.login("worker")
    response = client.post(f"/shifts/{shift.id}/edit", data=shift_form(
        world, title=shift.title, place=shift.place, min_volunteers="1", start=local_field(shift.start),
        end=local_field(shift.end), **{"slots-0-skill": "", "slots-0-count": "2", "slots-1-count": ""}))
    assert response.status_code == 302, text(response)
    db.session.refresh(entry)
    assert entry.status == SignUpStatus.offered
    assert notifications(waiting.user, "waitlist_offer")
    assert "signup.offer" in audit_actions(entry)


def test_sign_up_mode_cannot_change_once_people_signed_up(client, auth, world):
    shift = project_shift(world)
    add_sign_up(shift, world.volunteer)
    db.session.commit()
    auth.login("worker")
    response = client.post(f"/shifts/{shift.id}/edit", data=shift_form(world, first_come="0"))
    assert response.status_code == 200 and "The sign-up mode cannot change" in text(response)


def test_cancel_with_reason_tells_everyone_and_cancels_sign_ups(client, auth, world):
    shift = project_shift(world, slots=((None, 1),))
    assigned = add_sign_up(shift, world.volunteer)
    waiting = volunteer(world)
    queued = add_sign_up(shift, waiting, status=SignUpStatus.waitlisted)
    db.session.commit()
    auth.login("worker")
    assert client.get(f"/shifts/{shift.id}/cancel").status_code == 200
    response = client.post(f"/shifts/{shift.id}/cancel", data={"reason": "  "})
    assert response.status_code == 200 and "Give a reason" in text(response)
    assert db.session.get(Shift, shift.id).status == ShiftStatus.open
    response = client.post(f"/shifts/{shift.id}/cancel", data={"reason": "Typhoon warning"})
    assert response.status_code == 302
    db.session.refresh(shift)
    assert shift.status == ShiftStatus.cancelled and shift.status_reason == "Typhoon warning"
    assert {db.session.get(SignUp, s.id).status for s in (assigned, queued)} == {SignUpStatus.cancelled}
    for user in (world["vol"], waiting.user):
        [message] = notifications(user, "shift_cancelled")
        assert message.params["reason"] == "Typhoon warning"
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "shift.cancel"))
    assert event.note == "Typhoon warning" and event.after == {"status": "cancelled"}
    # A cancelled shift cannot be cancelled or edited again.
    assert client.post(f"/shifts/{shift.id}/cancel", data={"reason": "again"}).status_code == 200
    assert client.post(f"/shifts/{shift.id}/edit", data=shift_form(world)).status_code == 200
    assert audit_actions(shift).count("shift.cancel") == 1


@pytest.mark.parametrize("username,status", [
    ("worker", 200), ("orgadmin", 200), ("admin", 200), ("worker2", 403), ("orgadmin2", 403), ("staff1", 403),
    ("staff3", 403), ("vol", 403), ("civil", 403), ("resident", 403), ("observer", 403)])
def test_who_edits_and_cancels_a_project_shift(client, auth, world, username, status):
    shift = project_shift(world)
    db.session.commit()
    auth.login(username)
    assert client.get(f"/shifts/{shift.id}/edit").status_code == status
    assert client.get(f"/shifts/{shift.id}/cancel").status_code == status
    if status == 403:
        assert client.post(f"/shifts/{shift.id}/cancel", data={"reason": "no"}).status_code == 403
        assert db.session.get(Shift, shift.id).status == ShiftStatus.open


@pytest.mark.parametrize("username,status", [("staff1", 200), ("admin", 200), ("staff3", 403), ("worker", 403),
                                             ("vol", 403)])
def test_who_edits_a_community_activity(client, auth, world, username, status):
    shift = make_shift(world.c1)
    db.session.commit()
    auth.login(username)
    assert client.get(f"/shifts/{shift.id}/edit").status_code == status


def test_unknown_shift_is_404(client, auth, world):
    auth.login("worker")
    for url in ("/shifts/999999", "/shifts/999999/edit", "/shifts/999999/cancel", "/shifts/999999/roster"):
        assert client.get(url).status_code == 404


# --- browse and detail --------------------------------------------------------------------------------

def _street_of_shifts(world):
    project = running_project(world)
    plum = project_shift(world, project=project, title="Plum visit", slots=((None, 2),))
    pine = project_shift(world, project=project, region=world.c2, title="Pine first aid",
                         slots=((world.first_aid, 1),), start=hour(days=10))
    river = make_shift(world.c3, title="River cleanup")
    make_shift(world.c1, title="Yesterday's visit", start=now() - timedelta(days=1))
    gone = make_shift(world.c1, title="Cancelled walk")
    gone.status = ShiftStatus.cancelled
    return plum, pine, river


def test_volunteers_browse_open_future_shifts_in_their_street(client, auth, world):
    plum, pine, river = _street_of_shifts(world)
    add_sign_up(plum, volunteer(world))
    add_sign_up(plum, volunteer(world))
    add_sign_up(plum, volunteer(world), status=SignUpStatus.waitlisted)
    db.session.commit()
    auth.login("vol")
    # By default only the shifts she may take: Pine needs first aid, which she lacks.
    assert "Pine first aid" not in text(client.get("/shifts/"))
    body = text(client.get("/shifts/?show=all"))
    assert "Plum visit" in body and "Pine first aid" in body
    assert "River cleanup" not in body and "Yesterday" not in body and "Cancelled walk" not in body
    assert "Full" in body and "Waiting list: 1" in body and "1 place left" in body
    assert "Pine first aid" not in text(client.get(f"/shifts/?show=all&community={world.c1.id}"))
    filtered = text(client.get(f"/shifts/?show=all&skill={world.first_aid.id}"))
    assert "Pine first aid" in filtered and "Plum visit" not in filtered
    day = (hour(days=10)).astimezone(LOCAL_TZ).date()
    dated = text(client.get(f"/shifts/?show=all&date_from={day.isoformat()}&date_to={day.isoformat()}"))
    assert "Pine first aid" in dated and "Plum visit" not in dated
    bad = client.get("/shifts/?date_from=2030-01-02&date_to=2030-01-01")
    assert bad.status_code == 200 and "The end date must not be before the start date." in text(bad)
    auth.as_(world["vol3"])
    body = text(client.get("/shifts/"))
    assert "River cleanup" in body and "Plum visit" not in body


def test_the_list_pages(client, auth, world):
    for i in range(7):
        make_shift(world.c1, title=f"Visit number {i}", start=hour(days=2 + i))
    db.session.commit()
    auth.login("vol")
    first, second = text(client.get("/shifts/")), text(client.get("/shifts/?page=2"))
    assert first.count("Visit number") == 5 and second.count("Visit number") == 2
    assert "7 in all" in first


def test_the_list_runs_a_fixed_number_of_queries(client, auth, world, app):
    def queries_for_list():
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        sa.event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert client.get("/shifts/").status_code == 200
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    make_shift(world.c1, title="One")
    db.session.commit()
    auth.login("vol")
    few = queries_for_list()
    for i in range(4):
        shift = make_shift(world.c2, title=f"More {i}", slots=((None, 1), (world.elder_care, 2)))
        add_sign_up(shift, volunteer(world))
    db.session.commit()
    assert queries_for_list() == few


@pytest.mark.parametrize("username,visible", [
    ("staff1", {"Plum visit"}), ("staff3", {"River cleanup"}), ("worker", {"Plum visit", "Pine first aid"}),
    ("orgadmin", {"Plum visit", "Pine first aid"}), ("worker2", set()), ("civil2", {"River cleanup"}),
    ("civil", {"Plum visit", "Pine first aid", "River cleanup"}),
    ("observer", {"Plum visit", "Pine first aid"})])
def test_staff_and_organizations_see_their_scope(client, auth, world, username, visible):
    _street_of_shifts(world)
    db.session.commit()
    auth.login(username)
    body = text(client.get("/shifts/?when=all"))
    for title in {"Plum visit", "Pine first aid", "River cleanup"}:
        assert (title in body) == (title in visible), title


@pytest.mark.parametrize("username", ["resident", "grid", "expert"])
def test_roles_without_shifts_cannot_list_them(client, auth, world, username):
    auth.login(username)
    assert client.get("/shifts/").status_code == 403


@pytest.mark.parametrize("username,status", [
    ("vol", 200), ("worker", 200), ("orgadmin", 200), ("staff1", 200), ("civil", 200), ("admin", 200),
    ("vol3", 403), ("worker2", 403), ("orgadmin2", 403), ("staff3", 403), ("civil2", 403), ("resident", 403),
    ("grid", 403), ("expert", 403)])
def test_shift_detail_per_role(client, auth, world, username, status):
    shift = project_shift(world)
    db.session.commit()
    auth.login(username)
    response = client.get(f"/shifts/{shift.id}")
    assert response.status_code == status
    if status == 200:
        assert "Companionship visits" in text(response)


def test_volunteers_see_a_shift_outside_their_street_they_signed_up_for(client, auth, world):
    shift = project_shift(world)
    far = volunteer(world, region=world.c3)
    add_sign_up(shift, far)
    db.session.commit()
    auth.as_(far.user)
    assert client.get(f"/shifts/{shift.id}").status_code == 200
