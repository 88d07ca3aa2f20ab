"""A sign-up under a rush: locks are waited for briefly, then the volunteer reads "busy, try again".

PostgreSQL only (the lock timeout is PostgreSQL's ``lock_timeout``; SQLite queues its writers with
BEGIN IMMEDIATE). A second connection holds the lock a sign-up needs, the shift's row or the audit
chain's advisory lock, for longer than ``LOCK_TIMEOUT_MS``: the sign-up answers with the page and a
clear message, writes nothing (no place, no audit event, no seal), and works once the lock is free.
"""
from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from linkage import audit
from linkage.extensions import db
from linkage.models import AuditEvent, RowSeal, SignUp, SignUpStatus
from tests.conftest import TEST_DB
from tests.factories import make_shift
from tests.web.test_shifts_support import count, sign_up_of, text

pytestmark = pytest.mark.skipif(TEST_DB != "postgresql", reason="lock_timeout is PostgreSQL's")

BUSY = "Many people are doing this at the same moment, so it could not be saved."


@pytest.fixture
def app_config():
    return {"BABEL_DEFAULT_LOCALE": "en", "LOCK_TIMEOUT_MS": 300}


@pytest.fixture
def shift(world):
    record = make_shift(world.c1, slots=((None, 3),), title="Popular shift")
    db.session.commit()
    return record


def holding(sql: str, **params):
    """A second connection that takes a lock and keeps it until closed."""
    connection = db.engine.connect()
    connection.execute(sa.text(sql), params)
    return connection


def written() -> tuple[int, int, int]:
    return count(SignUp), count(AuditEvent), count(RowSeal)


@pytest.mark.parametrize("lock", ["shift row", "audit chain"])
def test_a_lock_held_too_long_ends_in_try_again_and_nothing_written(client, auth, world, shift, lock):
    auth.login("vol")
    before = written()
    if lock == "shift row":
        other = holding("SELECT id FROM shifts WHERE id = :id FOR UPDATE", id=shift.id)
    else:
        other = holding("SELECT pg_advisory_xact_lock(:key)", key=audit._CHAIN_LOCK)
    try:
        started = time.monotonic()
        response = client.post(f"/shifts/{shift.id}/sign-up", follow_redirects=True)
        waited = time.monotonic() - started
    finally:
        other.rollback()
        other.close()
    assert response.status_code == 200
    assert BUSY in text(response) and "try again" in text(response)
    assert waited < 5, "the sign-up waited for the lock far longer than LOCK_TIMEOUT_MS"
    assert written() == before
    # The lock is free again: the same click goes through.
    response = client.post(f"/shifts/{shift.id}/sign-up", follow_redirects=True)
    assert "You have a place on this shift." in text(response)
    assert sign_up_of(shift, world.volunteer).status == SignUpStatus.assigned
    assert audit.verify().problems == []


def test_withdrawing_also_waits_briefly(app, client, auth, world, shift):
    """Withdrawing also waits briefly for the shift's row; the same words if it must give up."""
    auth.login("vol")
    client.post(f"/shifts/{shift.id}/sign-up")
    other = holding("SELECT id FROM shifts WHERE id = :id FOR UPDATE", id=shift.id)
    try:
        response = client.post(f"/shifts/{shift.id}/withdraw", follow_redirects=True)
    finally:
        other.rollback()
        other.close()
    assert response.status_code == 200 and BUSY in text(response)
    assert sign_up_of(shift, world.volunteer).status == SignUpStatus.assigned


def test_other_writers_are_not_cut_short_by_the_sign_up_timeout(app, world, shift):
    """Only the sign-up path (and the chain's lock at commit) waits briefly: a plain transaction that
    waits on a row lock keeps waiting past LOCK_TIMEOUT_MS, as the crash-safety test relies on."""
    other = holding("SELECT id FROM shifts WHERE id = :id FOR UPDATE", id=shift.id)
    try:
        started = time.monotonic()
        with db.engine.connect() as connection:
            connection.execute(sa.text("SET statement_timeout = 1000"))
            with pytest.raises(sa.exc.OperationalError) as raised:
                connection.execute(sa.text("SELECT id FROM shifts WHERE id = :id FOR UPDATE"), {"id": shift.id})
        waited = time.monotonic() - started
    finally:
        other.rollback()
        other.close()
    assert "statement timeout" in str(raised.value) and waited >= 0.9


def test_a_lock_timeout_outside_the_request_boundary_is_a_page_not_a_server_error(app, client, auth, world,
                                                                                  shift):
    """A request that gives up on a lock without going through ``perform`` gets the same words, as a
    503 page (the error handler), never a traceback."""
    def busy_view():
        db.session.execute(sa.text("SET LOCAL lock_timeout = '100ms'"))
        db.session.execute(sa.text("SELECT id FROM shifts WHERE id = :id FOR UPDATE"), {"id": shift.id})
        return "not reached"

    app.add_url_rule("/test-busy", "test_busy", busy_view)
    other = holding("SELECT id FROM shifts WHERE id = :id FOR UPDATE", id=shift.id)
    try:
        response = client.get("/test-busy")
    finally:
        other.rollback()
        other.close()
    assert response.status_code == 503 and BUSY in text(response) and "Traceback" not in text(response)
