"""Waiting-list offers under concurrency (SQLite and PostgreSQL, LINKAGE_TEST_DB): accepting an offer racing
its expiry, two offers accepted at once beside a newcomer's sign-up, two places freed at once. Each thread has
its own app context (session, connection, transaction) and its own clock (``as_of``), as concurrent requests
and the scheduled job would."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from linkage.extensions import db
from linkage.models import TAKEN_STATUSES, Shift, SignUp, SignUpStatus, Volunteer
from linkage.shifts import offers, places
from linkage.timeutil import as_of
from tests.web.test_shifts_support import add_sign_up, hour, project_shift, volunteer
from tests.web.test_signup_concurrency import run_together


def statuses(shift_id: int) -> dict[int, SignUpStatus]:
    db.session.expire_all()
    return {row.volunteer_id: row.status for row in db.session.scalars(
        sa.select(SignUp).where(SignUp.shift_id == shift_id))}


def taken(shift_id: int) -> int:
    return sum(1 for status in statuses(shift_id).values() if status in TAKEN_STATUSES)


def offered_shift(world, *, places_count=1, waiting=2):
    """A shift whose ``places_count`` places were all given up and offered to the first in line; returns the
    shift id, the volunteer ids in line (offered first) and the offers' deadline."""
    shift = project_shift(world, slots=((None, places_count),), start=hour(days=3))
    holders = [add_sign_up(shift, volunteer(world)) for _ in range(places_count)]
    queue = [volunteer(world) for _ in range(waiting)]
    for person in queue:
        add_sign_up(shift, person, status=SignUpStatus.waitlisted)
    db.session.commit()
    for holder in holders:
        places.cancel_sign_up(holder, actor=holder.volunteer.user)
    db.session.commit()
    deadline = db.session.scalar(sa.select(sa.func.min(SignUp.offer_expires_at)).where(SignUp.shift_id == shift.id))
    ids = shift.id, [person.id for person in queue], deadline
    db.session.close()
    return ids


@pytest.mark.parametrize("round_", range(4))
def test_accept_racing_expiry_never_gives_the_place_twice(app, world, round_):
    shift_id, (first, second), deadline = offered_shift(world)

    def act(what):
        with app.app_context():
            if what == "accept":
                with as_of(deadline - timedelta(seconds=1)):
                    record = db.session.scalar(sa.select(SignUp).where(SignUp.shift_id == shift_id,
                                                                       SignUp.volunteer_id == first))
                    try:
                        places.accept_offer(record, actor=db.session.get(Volunteer, first).user)
                        db.session.commit()
                        return "accepted"
                    except places.Refused:
                        db.session.rollback()
                        return "refused"
            with as_of(deadline + timedelta(seconds=1)):
                return offers.expire_due(deadline + timedelta(seconds=1))

    results = run_together(act, ["accept", "expire"] if round_ % 2 else ["expire", "accept"])
    outcome = statuses(shift_id)
    assert taken(shift_id) == 1
    if "accepted" in results:
        assert outcome[first] == SignUpStatus.assigned and outcome[second] == SignUpStatus.waitlisted
        assert 0 in results
    else:
        assert outcome[first] == SignUpStatus.cancelled and outcome[second] == SignUpStatus.offered
        assert 1 in results


def test_two_offers_accepted_at_once_beside_a_newcomer(app, world):
    shift_id, queue, deadline = offered_shift(world, places_count=2, waiting=3)
    newcomer = volunteer(world)
    db.session.commit()
    newcomer_id = newcomer.id
    db.session.close()

    def act(volunteer_id):
        with app.app_context():
            person = db.session.get(Volunteer, volunteer_id)
            if volunteer_id == newcomer_id:
                record = places.sign_up(db.session.get(Shift, shift_id), person, actor=person.user)
            else:
                record = db.session.scalar(sa.select(SignUp).where(SignUp.shift_id == shift_id,
                                                                   SignUp.volunteer_id == volunteer_id))
                record = places.accept_offer(record, actor=person.user)
            db.session.commit()
            return record.status

    results = run_together(act, [queue[0], queue[1], newcomer_id])
    assert results == [SignUpStatus.assigned, SignUpStatus.assigned, SignUpStatus.waitlisted]
    outcome = statuses(shift_id)
    assert outcome[queue[2]] == SignUpStatus.waitlisted and taken(shift_id) == 2


def test_two_places_freed_at_once_make_two_offers(app, world):
    shift = project_shift(world, slots=((None, 2),), start=hour(days=3))
    holders = [add_sign_up(shift, volunteer(world)) for _ in range(2)]
    queue = [volunteer(world) for _ in range(3)]
    for person in queue:
        add_sign_up(shift, person, status=SignUpStatus.waitlisted)
    db.session.commit()
    shift_id, holder_ids, queue_ids = shift.id, [h.id for h in holders], [p.id for p in queue]
    db.session.close()

    def give_up(sign_up_id):
        with app.app_context():
            record = db.session.get(SignUp, sign_up_id)
            places.cancel_sign_up(record, actor=record.volunteer.user)
            db.session.commit()

    run_together(give_up, holder_ids)
    outcome = statuses(shift_id)
    assert [outcome[v] for v in queue_ids] == [SignUpStatus.offered, SignUpStatus.offered, SignUpStatus.waitlisted]
    assert taken(shift_id) == 2
