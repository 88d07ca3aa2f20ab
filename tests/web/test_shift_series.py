"""Weekly series of shifts: made from the new-shift form with dates left out, changed one date or all later
ones (all or none), cancelled one date or all later ones; the shift page shows the series."""
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from babel.dates import format_skeleton

from linkage import notifications as notices
from linkage.errors import Refused
from linkage.extensions import db
from linkage.models import AuditEvent, Notification, Shift, ShiftSeries, ShiftStatus, SignUpStatus
from linkage.shifts import series, services
from linkage.timeutil import to_local
from tests.web.test_shifts import shift_form
from tests.web.test_shifts_support import (add_sign_up, audit_actions, count, hour, notifications, project_shift,
                                           running_project, text, volunteer)


@pytest.fixture
def app_config():
    return {"BABEL_DEFAULT_LOCALE": "en"}


def make_series(world, weeks=4, skipped=()):
    """A Tuesday-like weekly series of a running project: one shift a week from five days on, 9:00–11:00."""
    project = running_project(world)
    start = hour(days=5, at=9)
    first = to_local(start).date()
    data = services.ShiftData(title="Weekly visits", community=world.c1, place="Community center", start=start,
                              end=start + timedelta(hours=2), min_volunteers=1, slots=[(None, 3)],
                              description="Visit and chat", lead=world.worker)
    made = series.create_series(data, series.WeeklyPattern(weekdays=[first.isoweekday()], first_date=first,
                                                           weeks=weeks, skipped=list(skipped)),
                                project=project, actor=world["worker"])
    db.session.flush()
    return made, list(made.shifts)


def day_words(day: date) -> str:
    """A date as an English reader sees it on the pages: "Dec 8"."""
    return format_skeleton("MMMd", day, locale="en")


def local_day(shift) -> date:
    return to_local(shift.start).date()


def reload(shifts):
    db.session.expire_all()
    return [db.session.get(Shift, shift.id) for shift in shifts]


# --- making a series ------------------------------------------------------------------------------------

def test_the_new_shift_form_makes_a_weekly_series_leaving_out_the_dates_asked(client, auth, world):
    project = running_project(world)
    db.session.commit()
    first = to_local(hour(days=5, at=9)).date()
    other = (first + timedelta(days=2)).isoweekday()
    left_out = first + timedelta(days=7)
    auth.login("worker")
    response = client.post(f"/shifts/new?project={project.id}", data={
        **shift_form(world), "repeat": "y", "weekdays": [first.isoweekday(), other], "repeat_weeks": "3",
        "skip_dates": left_out.isoformat()})
    assert response.status_code == 302, text(response)
    made = db.session.scalar(sa.select(ShiftSeries))
    shifts = db.session.scalars(sa.select(Shift).order_by(Shift.start)).all()
    expected = [first + timedelta(days=n) for n in (0, 2, 9, 14, 16)]  # six dates in three weeks, one left out
    assert [local_day(s) for s in shifts] == expected
    assert all(s.series_id == made.id and s.project_id == project.id for s in shifts)
    assert all(to_local(s.start).strftime("%H:%M") == "09:00" and s.minutes == 120 for s in shifts)
    assert all([(slot.skill_id, slot.count) for slot in s.slots] == [(world.elder_care.id, 2), (None, 3)]
               for s in shifts)
    assert made.skipped == [left_out.isoformat()] and made.last_date == first + timedelta(days=20)
    assert response.headers["Location"].endswith(f"/shifts/{shifts[0].id}")
    assert audit_actions().count("shift.create") == 5 and "shift_series.create" in audit_actions()

    page = text(client.get(f"/shifts/{shifts[0].id}"))
    assert "Part of a weekly series" in page
    assert f"until {day_words(first + timedelta(days=20))}" in page
    assert f"except {day_words(left_out)}" in page
    for other_shift in shifts[1:]:
        assert f'href="/shifts/{other_shift.id}"' in page


@pytest.mark.parametrize(("fields", "message"), [
    ({"repeat_weeks": "27"}, "A series runs for at most 26 weeks."),
    ({"repeat_weeks": "2", "skip_dates": "2020-01-01"}, "is not one of the series&#39; dates."),
    ({"repeat_weeks": "2", "skip_dates": "next tuesday"}, "is not a date."),
    ({"repeat_weeks": "", "repeat_until": ""}, "Say until when the shift repeats"),
    ({"repeat_weeks": "2", "weekdays": []}, "Choose the weekdays the shift repeats on."),
])
def test_a_series_that_breaks_a_rule_is_refused_and_nothing_is_written(client, auth, world, fields, message):
    project = running_project(world)
    db.session.commit()
    first = to_local(hour(days=5, at=9)).date()
    before = (count(Shift), count(ShiftSeries), count(AuditEvent))
    auth.login("worker")
    response = client.post(f"/shifts/new?project={project.id}", data={
        **shift_form(world), "repeat": "y", "weekdays": [first.isoweekday()], **fields})
    assert response.status_code == 200
    assert message in text(response)
    assert (count(Shift), count(ShiftSeries), count(AuditEvent)) == before


def test_the_longest_series_is_a_setting(app, world):
    app.config["SERIES_MAX_WEEKS"] = 2
    with pytest.raises(Refused, match="at most 2 weeks"):
        make_series(world, weeks=3)
    made, shifts = make_series(world, weeks=2)
    assert len(shifts) == 2


# --- changing one date or all later ones ----------------------------------------------------------------

def edit_form(world, shift, **overrides):
    local = to_local(shift.start)
    start = overrides.pop("start_at", local.strftime("%H:%M"))
    end = overrides.pop("end_at", to_local(shift.end).strftime("%H:%M"))
    day = local.strftime("%Y-%m-%d")
    fields = {"title": shift.title, "description": shift.description, "place": shift.place,
              "start": f"{day}T{start}", "end": f"{day}T{end}", "min_volunteers": "1",
              "slots-0-skill": "", "slots-0-count": "3", "slots-1-count": ""}
    return shift_form(world, **{**fields, **overrides})


def test_changing_this_shift_only_leaves_the_others_of_the_series(client, auth, world):
    made, shifts = make_series(world)
    for shift in shifts:
        add_sign_up(shift, world.volunteer)
    db.session.commit()
    auth.login("worker")
    page = text(client.get(f"/shifts/{shifts[1].id}/edit"))
    assert "This and all later shifts of the series" in page
    response = client.post(f"/shifts/{shifts[1].id}/edit",
                           data=edit_form(world, shifts[1], place="Plum park gate", scope="one"))
    assert response.status_code == 302, text(response)
    shifts = reload(shifts)
    assert [s.place for s in shifts] == ["Community center", "Plum park gate", "Community center", "Community center"]
    [message] = notifications(world["vol"], "shift_updated")
    assert message.link_args == {"shift_id": shifts[1].id} and message.params["changes"] == "place"


def test_changing_all_later_shifts_changes_them_the_same_way_and_tells_each_ones_volunteers(client, auth, world):
    made, shifts = make_series(world)
    shifts[3].description = "Bring the photo album"  # changed on its own before: kept, not part of this change
    for shift in shifts:
        add_sign_up(shift, world.volunteer)
    world["vol"].locale = "zh_CN"
    db.session.commit()
    days = [local_day(s) for s in shifts]
    auth.login("worker")
    response = client.post(f"/shifts/{shifts[1].id}/edit", data=edit_form(
        world, shifts[1], place="Plum park gate", start_at="10:00", end_at="12:30", scope="later",
        **{"slots-0-count": "4"}))
    assert response.status_code == 302, text(response)
    shifts = reload(shifts)
    assert shifts[0].place == "Community center" and to_local(shifts[0].start).strftime("%H:%M") == "09:00"
    assert shifts[0].capacity == 3
    for shift, day in zip(shifts[1:], days[1:]):
        assert shift.place == "Plum park gate" and shift.capacity == 4
        assert local_day(shift) == day  # each keeps its own date
        assert (to_local(shift.start).strftime("%H:%M"), to_local(shift.end).strftime("%H:%M")) == ("10:00", "12:30")
    assert [s.description for s in shifts] == ["Visit and chat"] * 3 + ["Bring the photo album"]
    assert audit_actions().count("shift.update") == 3
    assert db.session.get(ShiftSeries, made.id).start_time.strftime("%H:%M") == "10:00"

    sent = notifications(world["vol"], "shift_updated")
    assert sorted(m.link_args["shift_id"] for m in sent) == sorted(s.id for s in shifts[1:])  # once per shift
    assert {m.params["changes"] for m in sent} == {"time,place,slots"}
    auth.as_(world["vol"])  # reads Chinese
    page = text(client.get("/notifications"))
    assert "（时间、地点、各技能名额）" in page
    with client.application.test_request_context(headers={"Accept-Language": "en"}):
        assert "(time, place, places per skill)" in notices.render(sent[0])


def test_one_later_shift_that_cannot_take_the_change_stops_it_for_all(client, auth, world):
    made, shifts = make_series(world)
    add_sign_up(shifts[3], world.volunteer)
    add_sign_up(shifts[3], volunteer(world))
    db.session.commit()
    before = ([(s.place, s.capacity, s.version) for s in shifts], count(Notification), count(AuditEvent))
    auth.login("worker")
    response = client.post(f"/shifts/{shifts[1].id}/edit", data=edit_form(
        world, shifts[1], place="Plum park gate", scope="later", **{"slots-0-count": "1"}))
    assert response.status_code == 200
    body = text(response).replace("&#34;", '"')
    assert f"Nothing was changed: the shift of {day_words(local_day(shifts[3]))} cannot take this change." in body
    assert "2 volunteers hold places" in body
    shifts = reload(shifts)
    assert ([(s.place, s.capacity, s.version) for s in shifts], count(Notification), count(AuditEvent)) == before


def test_a_change_to_all_later_shifts_cannot_move_the_date(client, auth, world):
    made, shifts = make_series(world)
    db.session.commit()
    auth.login("worker")
    moved = to_local(shifts[1].start) + timedelta(days=1)
    response = client.post(f"/shifts/{shifts[1].id}/edit", data=shift_form(
        world, title=shifts[1].title, start=moved.strftime("%Y-%m-%dT%H:%M"),
        end=(moved + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"), scope="later"))
    assert response.status_code == 200 and "change this shift only" in text(response)
    assert reload(shifts)[1].start == shifts[1].start


# --- cancelling ---------------------------------------------------------------------------------------

def test_cancelling_all_later_shifts_cancels_them_and_shortens_the_series(client, auth, world):
    made, shifts = make_series(world)
    for shift in shifts:
        add_sign_up(shift, world.volunteer)
    db.session.commit()
    auth.login("worker")
    assert "This and all later shifts of the series" in text(client.get(f"/shifts/{shifts[2].id}/cancel"))
    response = client.post(f"/shifts/{shifts[2].id}/cancel", data={"reason": "The hall is closed", "scope": "later"})
    assert response.status_code == 302
    shifts = reload(shifts)
    assert [s.status for s in shifts] == [ShiftStatus.open] * 2 + [ShiftStatus.cancelled] * 2
    assert all(r.status == SignUpStatus.cancelled for s in shifts[2:] for r in s.sign_ups)
    assert all(r.status == SignUpStatus.assigned for s in shifts[:2] for r in s.sign_ups)
    sent = notifications(world["vol"], "shift_cancelled")
    assert sorted(m.link_args["shift_id"] for m in sent) == [shifts[2].id, shifts[3].id]
    assert {m.params["reason"] for m in sent} == {"The hall is closed"}
    assert db.session.get(ShiftSeries, made.id).last_date == local_day(shifts[1])
    assert f"until {day_words(local_day(shifts[1]))}" in text(client.get(f"/shifts/{shifts[0].id}"))


def test_cancelling_one_date_leaves_it_out_of_the_series(client, auth, world):
    made, shifts = make_series(world)
    db.session.commit()
    auth.login("worker")
    response = client.post(f"/shifts/{shifts[1].id}/cancel", data={"reason": "Holiday", "scope": "one"})
    assert response.status_code == 302
    shifts = reload(shifts)
    assert [s.status for s in shifts] == [ShiftStatus.open, ShiftStatus.cancelled, ShiftStatus.open, ShiftStatus.open]
    assert db.session.get(ShiftSeries, made.id).skipped == [local_day(shifts[1]).isoformat()]
    assert f"except {day_words(local_day(shifts[1]))}" in text(client.get(f"/shifts/{shifts[0].id}"))


def test_cancelling_all_later_is_all_or_nothing(client, auth, world, monkeypatch):
    made, shifts = make_series(world)
    db.session.commit()
    refused_id = shifts[3].id
    original = services.cancel_shift

    def refuse_the_last(shift, reason, **kwargs):
        if shift.id == refused_id:
            raise Refused("Not this one.")
        return original(shift, reason, **kwargs)

    monkeypatch.setattr(series, "cancel_shift", refuse_the_last)
    auth.login("worker")
    response = client.post(f"/shifts/{shifts[1].id}/cancel", data={"reason": "Holiday", "scope": "later"})
    assert response.status_code == 200
    assert (f"Nothing was cancelled: the shift of {day_words(local_day(shifts[3]))} cannot be cancelled. "
            "Not this one.") in text(response)
    assert all(s.status == ShiftStatus.open for s in reload(shifts))


def test_a_volunteer_sees_the_other_open_dates_of_the_series(client, auth, world):
    made, shifts = make_series(world)
    services.cancel_shift(shifts[2], "Holiday", actor=world["worker"])
    db.session.commit()
    auth.login("vol")
    page = text(client.get(f"/shifts/{shifts[0].id}"))
    assert "Part of a weekly series" in page
    assert f'href="/shifts/{shifts[1].id}"' in page and f'href="/shifts/{shifts[3].id}"' in page
    assert f'href="/shifts/{shifts[2].id}"' not in page  # cancelled: a volunteer cannot open it
