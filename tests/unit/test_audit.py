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
