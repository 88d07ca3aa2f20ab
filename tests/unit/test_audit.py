import pytest
import sqlalchemy as sa

from linkage import audit
from linkage.extensions import db
from linkage.models import AuditEvent


def test_chain_links_each_event_to_the_previous(world):
    first = audit.record(world["admin"], "test.one", world.c1, after={"x": 1})
    second = audit.record(world["admin"], "test.two", world.c1, before={"x": 1}, after={"x": 2})
    db.session.commit()
    assert second.prev_hash == first.hash
    count, broken = audit.verify_chain()
    assert broken is None and count >= 2


@pytest.mark.parametrize("statement", ["UPDATE audit_events SET note = 'edited'", "DELETE FROM audit_events"])
def test_database_refuses_to_edit_the_trail(world, statement):
    audit.record(world["admin"], "test.one", world.c1)
    db.session.commit()
    with pytest.raises(sa.exc.DBAPIError):
        db.session.execute(sa.text(statement))
        db.session.flush()
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) >= 1


def test_verify_detects_a_forged_event(world):
    audit.record(world["admin"], "test.one", world.c1, after={"x": 1})
    audit.record(world["admin"], "test.two", world.c1, after={"x": 2})
    db.session.commit()
    # Forge: bypass the trigger the way an attacker with DDL rights would, then re-check.
    event = db.session.scalar(sa.select(AuditEvent).order_by(AuditEvent.id).limit(1))
    forged = AuditEvent(at=event.at, actor_id=event.actor_id, action="test.forged", subject_type="Region",
                        subject_id=event.subject_id, prev_hash=event.hash, hash="f" * 64, note="")
    db.session.add(forged)
    db.session.commit()
    count, broken = audit.verify_chain()
    assert broken is not None


def test_events_join_the_chain_at_commit_in_the_order_recorded(world):
    first = audit.record(world["admin"], "test.one", world.c1)
    second = audit.record(world["admin"], "test.two", world.c1)
    # Not in the chain yet: linked and inserted when the transaction commits, under the chain's lock.
    assert first.hash is None and db.session.scalar(
        sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.action.like("test.%"))) == 0
    db.session.commit()
    assert first.id < second.id and second.prev_hash == first.hash
    assert audit.verify_chain()[1] is None


def test_an_event_recorded_in_a_savepoint_that_rolls_back_is_dropped(world):
    audit.record(world["admin"], "test.kept", world.c1)
    try:
        with db.session.begin_nested():
            audit.record(world["admin"], "test.undone", world.c1)
            raise RuntimeError("undo")
    except RuntimeError:
        pass
    with db.session.begin_nested():
        audit.record(world["admin"], "test.released", world.c1)
    db.session.commit()
    actions = db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.action.like("test.%"))
                                 .order_by(AuditEvent.id)).all()
    assert actions == ["test.kept", "test.released"]
    assert audit.verify_chain()[1] is None


def test_a_rolled_back_transaction_leaves_no_event_behind(world):
    audit.record(world["admin"], "test.undone", world.c1)
    db.session.rollback()
    audit.record(world["admin"], "test.next", world.c1)
    db.session.commit()
    actions = db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.action.like("test.%"))).all()
    assert actions == ["test.next"]


def _labels(app, event, locale):
    from flask_babel import force_locale

    from linkage import audit_text
    with app.test_request_context(), force_locale(locale):
        return {label: (old and str(old), new and str(new)) for label, old, new in audit_text.changes(event)}


def test_a_field_reads_as_what_it_means_on_the_events_subject(app, world):
    """``target_hours`` is a project's (or contract's) target of service hours, and on a need flagged past its
    target the response target it missed: each event names it by its own subject, in the reader's language."""
    from datetime import datetime, timezone

    from linkage.models import NeedStatus
    from linkage.needs import escalation
    from tests.factories import make_need, make_project

    project = make_project(world.district)
    changed = audit.record(world["admin"], "project.update", project, before={"target_hours": 100},
                           after={"target_hours": 120})
    need = make_need(world.resident, world.visits, status=NeedStatus.submitted)
    assert escalation.flag_overdue(need, 24, datetime.now(timezone.utc))
    db.session.commit()
    flagged = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "need.flag_overdue",
                                                             AuditEvent.subject_id == need.id)).one()
    assert _labels(app, changed, "en")["Target service hours"] == ("100", "120")
    assert _labels(app, changed, "zh_CN")["目标服务时长"] == ("100", "120")
    assert _labels(app, flagged, "en")["Response target (hours)"] == (None, "24")
    assert _labels(app, flagged, "zh_CN")["答复时限（小时）"] == (None, "24")
    assert "Response target (hours)" not in _labels(app, changed, "en")
    assert "Target service hours" not in _labels(app, flagged, "en")
