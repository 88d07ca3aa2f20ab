"""Overdue needs with a controlled clock: flagged at the response target, escalated to the street after
the second period, expired when nobody took them up; each once however often the check runs."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from linkage import jobs
from linkage.errors import Refused
from linkage.extensions import db
from linkage.models import AuditEvent, Need, NeedStatus, Notification, ResponseTarget, Role
from linkage.needs import escalation, services, targets
from linkage.timeutil import as_of
from tests.factories import make_need, make_shift, make_user

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)   # 09:00 in Shanghai


@pytest.fixture
def street_civil(world):
    user = make_user("civil_street1", Role.civil_affairs, world.street1)
    db.session.commit()
    return user


def submitted(world, urgency=3, at=T0, **fields):
    with as_of(at):
        need = services.submit_need(world.resident, actor=world["staff1"], category=world.visits,
                                    title="Check the gas stove", urgency=urgency, consent=True,
                                    **fields)
    db.session.commit()
    return need


def run_at(moment) -> escalation.Outcome:
    with as_of(moment):
        outcome = escalation.check()
    db.session.commit()
    return outcome


def events(action, need) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action,
                                                               AuditEvent.subject_id == need.id)))


def notes(kind, user) -> int:
    return db.session.scalar(sa.select(sa.func.count(Notification.id)).where(Notification.kind == kind,
                                                                            Notification.user_id == user.id))


def test_flagged_at_the_target_and_only_once(world):
    need = submitted(world, urgency=3)          # default target of urgent needs: 24 hours
    assert run_at(T0 + timedelta(hours=23, minutes=59)).flagged == 0
    assert db.session.get(Need, need.id).overdue_at is None

    assert run_at(T0 + timedelta(hours=24)).flagged == 1
    need = db.session.get(Need, need.id)
    assert need.overdue_at == T0 + timedelta(hours=24) and need.escalated_at is None
    [event] = events("need.flag_overdue", need)
    assert event.actor_id is None and event.after["target_hours"] == 24
    assert notes("need_overdue", world["staff1"]) == 1
    assert notes("need_overdue", world["staff3"]) == 0          # another community's staff

    again = run_at(T0 + timedelta(hours=30))
    assert (again.flagged, again.escalated, again.expired) == (0, 0, 0)
    assert len(events("need.flag_overdue", need)) == 1 and notes("need_overdue", world["staff1"]) == 1


def test_escalated_to_the_street_after_the_second_period(world, street_civil):
    need = submitted(world, urgency=4)          # 8 hours, then 48 more
    run_at(T0 + timedelta(hours=8))
    assert run_at(T0 + timedelta(hours=55, minutes=59)).escalated == 0
    assert run_at(T0 + timedelta(hours=56)).escalated == 1
    need = db.session.get(Need, need.id)
    assert need.escalated_at == T0 + timedelta(hours=56) and need.status == NeedStatus.submitted
    assert len(events("need.escalate", need)) == 1
    assert notes("need_escalated", street_civil) == 1
    assert notes("need_escalated", world["civil2"]) == 0        # the other street's civil affairs
    assert run_at(T0 + timedelta(hours=80)).escalated == 0
    assert len(events("need.escalate", need)) == 1 and notes("need_escalated", street_civil) == 1


def test_a_late_first_run_flags_and_escalates_at_once(world, street_civil):
    need = submitted(world, urgency=3)
    outcome = run_at(T0 + timedelta(days=10))
    assert (outcome.flagged, outcome.escalated) == (1, 1)
    assert [e.action for e in db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.subject_id == need.id, AuditEvent.subject_type == "Need").order_by(AuditEvent.id))] == [
        "need.submit", "need.flag_overdue", "need.escalate"]


def test_a_sector_target_overrides_the_default_and_is_audited(world):
    with as_of(T0 - timedelta(days=1)):
        assert targets.set_target(world.care, 3, 10, actor=world["admin"])
        assert not targets.set_target(world.care, 3, 10, actor=world["admin"])   # unchanged: no event
    db.session.commit()
    need = submitted(world, urgency=3)
    assert targets.hours_for(need) == 10
    assert run_at(T0 + timedelta(hours=9)).flagged == 0
    assert run_at(T0 + timedelta(hours=10)).flagged == 1
    [event] = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "response_target.set"))
    assert event.before["hours"] == 24 and event.after["hours"] == 10
    targets.set_target(world.care, 3, None, actor=world["admin"])
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(ResponseTarget.id))) == 0
    assert targets.hours_for(need) == 24
    with pytest.raises(Refused):
        targets.set_target(world.care, 3, 5, actor=world["staff1"])
    with pytest.raises(Refused):
        targets.set_target(world.visits, 3, 5, actor=world["admin"])         # not a sector


def test_an_answered_need_is_neither_flagged_nor_escalated(world, street_civil):
    need = submitted(world, urgency=3)
    run_at(T0 + timedelta(hours=24))
    with as_of(T0 + timedelta(hours=30)):
        services.verify_need(db.session.get(Need, need.id), actor=world["staff1"])
    db.session.commit()
    assert run_at(T0 + timedelta(days=5)).escalated == 0
    assert db.session.get(Need, need.id).escalated_at is None
    other = submitted(world, urgency=3, at=T0 + timedelta(days=6))
    with as_of(T0 + timedelta(days=6, hours=1)):
        services.verify_need(db.session.get(Need, other.id), actor=world["staff1"])
    db.session.commit()
    assert run_at(T0 + timedelta(days=9)).flagged == 0


def test_expired_after_the_expiry_period_once(world):
    need = submitted(world, urgency=1)
    with as_of(T0 + timedelta(hours=2)):
        services.verify_need(db.session.get(Need, need.id), actor=world["staff1"])
    db.session.commit()
    assert run_at(T0 + timedelta(days=119, hours=23)).expired == 0
    assert run_at(T0 + timedelta(days=120)).expired == 1
    need = db.session.get(Need, need.id)
    assert need.status == NeedStatus.expired and need.closed_at == T0 + timedelta(days=120)
    [event] = events("need.expire", need)
    assert event.before == {"status": "open"} and event.after == {"status": "expired"}
    assert notes("need_expired", world["resident"]) == 1
    assert run_at(T0 + timedelta(days=200)).expired == 0
    assert len(events("need.expire", need)) == 1


def test_expired_when_its_time_window_has_ended(world):
    need = submitted(world, urgency=1, window_start=T0 + timedelta(days=1),
                     window_end=T0 + timedelta(days=1, hours=2))
    assert run_at(T0 + timedelta(days=1, hours=1)).expired == 0
    assert run_at(T0 + timedelta(days=1, hours=2)).expired == 1
    assert db.session.get(Need, need.id).status == NeedStatus.expired


def test_expiry_leaves_needs_taken_up_alone(world):
    need = make_need(world.resident, world.visits, status=NeedStatus.matched)
    need.created_at = T0
    db.session.commit()
    assert run_at(T0 + timedelta(days=400)).expired == 0
    assert services.expire_need(db.session.get(Need, need.id)) is False
    assert db.session.get(Need, need.id).status == NeedStatus.matched


def test_the_scheduled_job_and_the_command(app, world):
    assert ("linkage.needs.escalation.run", "ESCALATION_INTERVAL_SECONDS") in jobs.SCHEDULE
    assert app.config["ESCALATION_INTERVAL_SECONDS"] > 0
    need = submitted(world, urgency=4, at=datetime.now(timezone.utc) - timedelta(hours=9))
    result = app.test_cli_runner().invoke(args=["needs", "escalate"])
    assert result.exit_code == 0, result.output
    assert "1 flagged" in result.output
    db.session.expire_all()
    assert db.session.get(Need, need.id).overdue_at is not None
    assert "0 flagged" in app.test_cli_runner().invoke(args=["needs", "escalate"]).output


@pytest.mark.parametrize("place,street", [("c1", "street1"), ("grid1", "street1"), ("c3", "street2"),
                                          ("street2", "street2"), ("street1", "street1")])
def test_a_need_is_escalated_to_the_street_a_match_run_cuts_its_place_by(world, street_civil, place, street):
    """One rule says which street a place lies in (``Region.street``): the street whose civil affairs staff
    an overdue need is escalated to, and the street a district's volunteer run is cut by, for a community,
    a grid and a street itself."""
    from linkage.matching.services import _streets_of
    region, expected = getattr(world, place), getattr(world, street)
    civil = {world.street1.id: street_civil, world.street2.id: world["civil2"]}
    need = submitted(world, urgency=4)          # 8 hours, then 48 more
    need.region = region
    db.session.commit()
    assert run_at(T0 + timedelta(hours=56)).escalated == 1
    assert {s: notes("need_escalated", user) for s, user in civil.items()} == {
        s: int(s == expected.id) for s in civil}
    shift = make_shift(region)
    db.session.commit()
    assert _streets_of({"shifts": [{"id": f"s{shift.id}"}]}) == {f"s{shift.id}": expected.id}
    assert region.street() is expected and region.street_area() is expected


def test_a_place_of_the_district_itself_lies_in_no_street(world, street_civil):
    """A district is no street: a need there is escalated to no street's staff, and a district's shift is a
    street of its own when a run is cut, as ever; the street area of a district is the district."""
    from linkage.matching.services import _streets_of
    need = submitted(world, urgency=4)          # 8 hours, then 48 more
    need.region = world.district
    db.session.commit()
    assert run_at(T0 + timedelta(hours=56)).escalated == 1
    assert notes("need_escalated", street_civil) == notes("need_escalated", world["civil2"]) == 0
    assert notes("need_escalated", world["civil"]) == 0
    shift = make_shift(world.district)
    db.session.commit()
    assert _streets_of({"shifts": [{"id": f"s{shift.id}"}]}) == {f"s{shift.id}": f"region{world.district.id}"}
    assert world.district.street() is None and world.district.street_area() is world.district
