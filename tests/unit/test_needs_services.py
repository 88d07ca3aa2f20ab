"""The rules of residents' needs, called as services (the web tests cover pages and forms)."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from linkage.errors import Refused
from linkage.extensions import db
from linkage.models import (AccountStatus, AuditEvent, Category, Feedback, Need, NeedStatus, Notification,
                            Recurrence, Role, ShiftStatus)
from linkage.needs import queries, services
from linkage.timeutil import now
from tests.factories import make_need, make_project, make_resident, make_shift, make_user


@pytest.fixture(autouse=True)
def request_context(app):
    """Refusal messages are translated, and the locale is chosen per request (linkage.i18n)."""
    with app.test_request_context():
        yield


def events(action, need):
    db.session.commit()  # events join the audit chain when the transaction commits
    return db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == action, AuditEvent.subject_type == "Need",
        AuditEvent.subject_id == need.id)).all()


def notes(user, kind):
    return db.session.scalars(sa.select(Notification).where(Notification.user_id == user.id,
                                                            Notification.kind == kind)).all()


def submit(world, actor=None, resident=None, **kwargs):
    args = {"category": world.visits, "title": "Weekly visit", "urgency": 3, "consent": True, **kwargs}
    return services.submit_need(resident or world.resident, actor=actor or world["resident"], **args)


# --- submitting ---------------------------------------------------------------------------------------------

def test_resident_submits_own_need_and_community_staff_are_told(world):
    need = submit(world, description="  Knees hurt  ", recurrence=Recurrence.weekly,
                  window_start=now() + timedelta(days=1), window_end=now() + timedelta(days=1, hours=2))
    assert need.status == NeedStatus.submitted and need.region == world.c1
    assert need.description == "Knees hurt"
    assert need.created_by_id == world["resident"].id and need.recurrence == Recurrence.weekly
    [event] = events("need.submit", need)
    assert event.actor_id == world["resident"].id and event.after["status"] == "submitted"
    assert len(notes(world["staff1"], "need_submitted")) == 1
    assert notes(world["staff3"], "need_submitted") == []


def test_grid_worker_reports_a_need_found_on_rounds(world):
    need = submit(world, actor=world["grid"], skills=[world.elder_care], needs_professional=True)
    assert need.status == NeedStatus.submitted
    assert need.skills == [world.elder_care] and need.needs_professional
    assert len(notes(world["staff1"], "need_submitted")) == 1


def test_staff_filing_a_need_do_not_notify_themselves(world):
    submit(world, actor=world["staff1"])
    assert notes(world["staff1"], "need_submitted") == []


@pytest.mark.parametrize("actor", ["staff3", "civil", "observer", "vol", "worker", "orgadmin"])
def test_others_cannot_file_needs_for_a_c1_resident(world, actor):
    with pytest.raises(Refused):
        submit(world, actor=world[actor])


def test_resident_cannot_file_for_someone_else_nor_before_verification(world):
    other = make_resident(world.c1, name="Other")
    with pytest.raises(Refused):
        submit(world, resident=other)
    world["resident"].status = AccountStatus.pending
    with pytest.raises(Refused, match="verification"):
        submit(world)


LATER = now() + timedelta(days=2)


@pytest.mark.parametrize("change, field", [
    ({"title": "   "}, "title"),
    ({"urgency": 0}, "urgency"),
    ({"urgency": 5}, "urgency"),
    ({"category": None}, "category"),
    ({"window_start": now() + timedelta(days=2), "window_end": now() + timedelta(days=1)}, "window_end"),
    ({"window_start": LATER, "window_end": LATER}, "window_end"),
    ({"window_end": now() - timedelta(hours=1)}, "window_end"),
])
def test_bad_input_is_refused_before_anything_is_written(world, change, field):
    count = db.session.scalar(sa.select(sa.func.count(Need.id)))
    with pytest.raises(Refused) as refused:
        submit(world, **change)
    assert refused.value.field == field
    assert db.session.scalar(sa.select(sa.func.count(Need.id))) == count


def test_an_inactive_category_is_refused(world):
    world.visits.active = False
    with pytest.raises(Refused) as refused:
        submit(world)
    assert refused.value.field == "category"


# --- verifying and rejecting --------------------------------------------------------------------------------

def test_staff_verify_a_submitted_need_and_the_resident_is_told(world):
    need = submit(world)
    services.verify_need(need, actor=world["staff1"], note="Visited, confirmed")
    assert need.status == NeedStatus.open and need.verified_at is not None
    [event] = events("need.verify", need)
    assert (event.before, event.after) == ({"status": "submitted"}, {"status": "open"})
    assert event.note == "Visited, confirmed"
    [message] = notes(world["resident"], "need_verified")
    assert message.params == {"title": "Weekly visit"}


@pytest.mark.parametrize("actor", ["staff3", "grid", "civil", "observer", "resident"])
def test_only_the_needs_community_staff_verify(world, actor):
    need = submit(world)
    with pytest.raises(Refused):
        services.verify_need(need, actor=world[actor])
    assert need.status == NeedStatus.submitted and events("need.verify", need) == []


def test_verifying_twice_or_a_need_in_another_status_is_refused(world):
    need = submit(world)
    services.verify_need(need, actor=world["staff1"])
    with pytest.raises(Refused, match="Only a submitted need"):
        services.verify_need(need, actor=world["staff1"])
    assert len(events("need.verify", need)) == 1


def test_reject_needs_a_reason_and_tells_the_resident(world):
    need = submit(world)
    with pytest.raises(Refused) as refused:
        services.reject_need(need, actor=world["staff1"], reason="  ")
    assert refused.value.field == "reason" and need.status == NeedStatus.submitted
    services.reject_need(need, actor=world["staff1"], reason="Served by the street's canteen already")
    assert need.status == NeedStatus.rejected and need.status_note == "Served by the street's canteen already"
    assert events("need.reject", need)[0].note == "Served by the street's canteen already"
    [message] = notes(world["resident"], "need_rejected")
    assert message.params["reason"] == "Served by the street's canteen already"


@pytest.mark.parametrize("status", [NeedStatus.matched, NeedStatus.delivered, NeedStatus.closed,
                                    NeedStatus.rejected])
def test_rejecting_a_need_already_taken_up_is_refused(world, status):
    need = make_need(world.resident, world.visits, status=status)
    with pytest.raises(Refused):
        services.reject_need(need, actor=world["staff1"], reason="No")


# --- withdrawing --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("status", [NeedStatus.submitted, NeedStatus.open])
def test_resident_withdraws_a_need_not_yet_served(world, status):
    need = make_need(world.resident, world.visits, status=status)
    services.withdraw_need(need, actor=world["resident"], reason="My son helps now")
    assert need.status == NeedStatus.withdrawn and events("need.withdraw", need)[0].note == "My son helps now"
    assert len(notes(world["staff1"], "need_withdrawn")) == 1


@pytest.mark.parametrize("status", [NeedStatus.matched, NeedStatus.in_service, NeedStatus.delivered,
                                    NeedStatus.closed, NeedStatus.rejected, NeedStatus.withdrawn])
def test_withdrawing_a_need_being_served_or_finished_is_refused(world, status):
    need = make_need(world.resident, world.visits, status=status)
    with pytest.raises(Refused):
        services.withdraw_need(need, actor=world["resident"])
    assert need.status == status


def test_another_resident_cannot_withdraw(world):
    neighbour = make_user("neighbour", Role.resident, world.c1)
    need = make_need(make_resident(world.c1, user=neighbour), world.visits, status=NeedStatus.open)
    with pytest.raises(Refused):
        services.withdraw_need(need, actor=world["resident"])
    services.withdraw_need(need, actor=world["staff1"], reason="Resident phoned")  # staff on their behalf
    assert need.status == NeedStatus.withdrawn


# --- delivery -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("status", [NeedStatus.matched, NeedStatus.in_service])
def test_staff_confirm_delivery_of_a_need_being_served(world, status):
    need = make_need(world.resident, world.visits, status=status)
    make_project(world.street1, needs=[need])
    services.confirm_delivered(need, actor=world["staff1"], note="Visit done")
    assert need.status == NeedStatus.delivered and need.delivered_at is not None
    assert events("need.deliver", need)[0].before == {"status": status.value}
    assert len(notes(world["resident"], "need_delivered")) == 1


def test_an_open_need_is_delivered_only_once_a_shift_or_project_serves_it(world):
    need = make_need(world.resident, world.visits, status=NeedStatus.open)
    with pytest.raises(Refused, match="No project or shift"):
        services.confirm_delivered(need, actor=world["staff1"])
    shift = make_shift(world.c1, title="Saturday visits")
    shift.needs.append(need)
    db.session.flush()
    db.session.expire(need)
    services.confirm_delivered(need, actor=world["staff1"])
    assert need.status == NeedStatus.delivered


@pytest.mark.parametrize("status", [NeedStatus.open, NeedStatus.matched, NeedStatus.in_service])
def test_a_need_no_shift_project_or_case_served_cannot_be_delivered(world, status):
    need = make_need(world.resident, world.visits, status=status)
    cancelled = make_shift(world.c1, title="Rained off")
    cancelled.status = ShiftStatus.cancelled
    cancelled.needs.append(need)
    db.session.flush()
    db.session.expire(need)
    with pytest.raises(Refused, match="No project or shift serves this need yet"):
        services.confirm_delivered(need, actor=world["staff1"])
    assert need.status == status and not events("need.deliver", need)
    assert not notes(world["resident"], "need_delivered")


def test_a_need_in_a_social_workers_case_can_be_delivered(world):
    need = make_need(world.resident, world.visits, status=NeedStatus.matched)
    need.case_worker = world.worker
    services.confirm_delivered(need, actor=world["staff1"])
    assert need.status == NeedStatus.delivered


def test_an_open_need_in_a_project_can_be_delivered(world):
    need = make_need(world.resident, world.visits, status=NeedStatus.open)
    make_project(world.street1, needs=[need])
    services.confirm_delivered(need, actor=world["staff1"])
    assert need.status == NeedStatus.delivered


@pytest.mark.parametrize("status", [NeedStatus.submitted, NeedStatus.delivered, NeedStatus.closed,
                                    NeedStatus.rejected, NeedStatus.withdrawn])
def test_delivery_from_other_statuses_is_refused(world, status):
    need = make_need(world.resident, world.visits, status=status)
    with pytest.raises(Refused):
        services.confirm_delivered(need, actor=world["staff1"])


def test_delivery_is_confirmed_by_the_needs_own_community_only(world):
    need = make_need(world.resident, world.visits, status=NeedStatus.matched)
    make_project(world.street1, needs=[need])
    for actor in ("staff3", "grid", "civil", "resident"):
        with pytest.raises(Refused):
            services.confirm_delivered(need, actor=world[actor])
    assert need.status == NeedStatus.matched


# --- rating -------------------------------------------------------------------------------------------------

def test_resident_rates_a_delivered_need_and_it_closes(world):
    need = make_need(world.resident, world.visits, status=NeedStatus.delivered)
    feedback = services.rate_need(need, actor=world["resident"], rating=5, comment=" Very kind ")
    assert (feedback.rating, feedback.comment, feedback.on_behalf) == (5, "Very kind", False)
    assert need.status == NeedStatus.closed and need.closed_at is not None
    [event] = events("need.rate", need)
    assert event.after == {"status": "closed", "rating": 5, "on_behalf": False}


def test_staff_rate_on_the_residents_behalf(world):
    need = make_need(world.resident, world.visits, status=NeedStatus.delivered)
    feedback = services.rate_need(need, actor=world["staff1"], rating=3)
    assert feedback.on_behalf and feedback.created_by_id == world["staff1"].id


def test_rating_twice_is_refused(world):
    need = make_need(world.resident, world.visits, status=NeedStatus.delivered)
    services.rate_need(need, actor=world["resident"], rating=4)
    with pytest.raises(Refused, match="already rated"):
        services.rate_need(need, actor=world["staff1"], rating=1)
    assert db.session.scalar(sa.select(sa.func.count(Feedback.id))) == 1


@pytest.mark.parametrize("status", [NeedStatus.submitted, NeedStatus.open, NeedStatus.matched,
                                    NeedStatus.in_service])
def test_rating_before_delivery_is_refused(world, status):
    need = make_need(world.resident, world.visits, status=status)
    with pytest.raises(Refused, match="once it is confirmed as delivered"):
        services.rate_need(need, actor=world["resident"], rating=5)


@pytest.mark.parametrize("rating", [0, 6, -1])
def test_rating_outside_one_to_five_is_refused(world, rating):
    need = make_need(world.resident, world.visits, status=NeedStatus.delivered)
    with pytest.raises(Refused) as refused:
        services.rate_need(need, actor=world["resident"], rating=rating)
    assert refused.value.field == "rating" and need.status == NeedStatus.delivered


@pytest.mark.parametrize("actor", ["staff3", "grid", "civil", "vol"])
def test_others_cannot_rate(world, actor):
    need = make_need(world.resident, world.visits, status=NeedStatus.delivered)
    with pytest.raises(Refused):
        services.rate_need(need, actor=world[actor], rating=5)


# --- the whole chain and the trail --------------------------------------------------------------------------

def test_the_chain_leaves_a_trail_of_every_transition(world):
    need = submit(world, actor=world["staff1"])
    services.verify_need(need, actor=world["staff1"])
    make_shift(world.c1).needs.append(need)
    db.session.flush()
    services.confirm_delivered(need, actor=world["staff1"])
    services.rate_need(need, actor=world["resident"], rating=5)
    db.session.commit()  # events join the audit chain when the transaction commits
    trail = queries.status_trail(need)
    assert [e.action for e in trail] == ["need.submit", "need.verify", "need.deliver", "need.rate"]
    assert [str(queries.trail_label(e)) for e in trail][0] == "Submitted"


# --- scoped queries -----------------------------------------------------------------------------------------

def test_needs_visible_to_each_role(world):
    c1 = make_need(world.resident, world.visits)
    c2 = make_need(make_resident(world.c2), world.visits)
    c3 = make_need(make_resident(world.c3), world.visits)
    expected = {
        "admin": {c1, c2, c3}, "civil": {c1, c2, c3}, "civil2": {c3}, "observer": {c1, c2}, "staff1": {c1},
        "staff3": {c3}, "grid": {c1}, "resident": {c1}, "vol": set(), "worker": set(), "orgadmin": set(),
        "expert": set(),
    }
    for username, needs in expected.items():
        assert set(db.session.scalars(queries.needs_visible_to(world[username]))) == needs, username


def test_sector_filter_covers_categories_and_sub_categories(world):
    sub = Category(code="elderly.visits.chat", name="陪伴聊天", name_en="Companionship", level=3,
                   parent=world.visits)
    db.session.add(sub)
    db.session.flush()
    in_sub = make_need(world.resident, sub)
    in_cat = make_need(world.resident, world.visits)
    tutoring = make_need(world.resident, world.tutoring)
    query = queries.filter_needs(queries.needs_visible_to(world["staff1"]), sector=world.care)
    assert set(db.session.scalars(query)) == {in_sub, in_cat}
    query = queries.filter_needs(queries.needs_visible_to(world["staff1"]), sector=world.tutoring.parent)
    assert set(db.session.scalars(query)) == {tutoring}


# --- two clerks at once -------------------------------------------------------------------------------------

def test_two_clerks_verifying_at_once_verify_once(app, world):
    """The need row is locked before its status is checked (PostgreSQL); SQLite serializes writers."""
    import threading

    need = submit(world)
    need_id, staff_id = need.id, world["staff1"].id
    postgres = db.engine.dialect.name == "postgresql"
    db.session.commit()  # and touch nothing until the clerks are done: a read would begin a transaction
    both_loaded = threading.Barrier(2, timeout=20)
    outcomes = []

    def clerk():
        with app.test_request_context():
            mine = db.session.get(Need, need_id)
            actor = db.session.get(type(world["staff1"]), staff_id)
            if postgres:  # both have read "submitted" before either writes
                both_loaded.wait()
            try:
                services.verify_need(mine, actor=actor)
                db.session.commit()
                outcomes.append("verified")
            except Refused:
                db.session.rollback()
                outcomes.append("refused")

    threads = [threading.Thread(target=clerk) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["refused", "verified"]
    db.session.expire_all()
    assert len(events("need.verify", db.session.get(Need, need_id))) == 1
    assert len(notes(world["resident"], "need_verified")) == 1
