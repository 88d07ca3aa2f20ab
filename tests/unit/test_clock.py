"""One clock for the platform: ``timeutil.now``, which ``as_of`` sets for the code it encloses."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from linkage import audit, timeutil
from linkage.extensions import db
from linkage.models import Notification
from linkage.models.types import utcnow


def test_as_of_sets_every_reading_of_the_clock_and_restores_it():
    moment = datetime(2026, 3, 8, 1, 30, tzinfo=timezone.utc)   # 09:30 in Shanghai
    with timeutil.as_of(moment):
        assert timeutil.now() == moment and utcnow() == moment
        assert timeutil.today() == moment.date()
        with timeutil.as_of(moment - timedelta(days=3)):
            assert utcnow() == moment - timedelta(days=3)
        assert timeutil.now() == moment
    assert abs(timeutil.now() - datetime.now(timezone.utc)) < timedelta(minutes=1)


def test_as_of_needs_an_aware_moment():
    with pytest.raises(ValueError):
        with timeutil.as_of(datetime(2026, 3, 8, 9, 30)):
            pass


def test_events_and_column_defaults_written_as_of_a_moment_carry_it(world):
    moment = timeutil.now() - timedelta(days=20)
    with timeutil.as_of(moment):
        event = audit.record(world["admin"], "test.one", world.c1)
        message = Notification(user_id=world["admin"].id, kind="account_verified", params={})
        db.session.add(message)
        db.session.flush()
    db.session.commit()
    assert event.at == moment and message.created_at == moment
    assert audit.verify_chain()[1] is None
