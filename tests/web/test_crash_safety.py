"""Crash safety: the web process killed (kill -9) in the middle of approving a large match run leaves
all of the proposal applied or none of it, and the run can be approved afterwards, once.

A real gunicorn serves the test's database; a civil affairs user signs in over HTTP (with CSRF, as in
production), posts the approval and the server is killed while the approval's transaction is open
with every place already written:

- PostgreSQL: the test holds a row lock (FOR UPDATE) on the user who started the run. The approval's
  last insert, the notification telling that user the run was approved, waits for it inside the
  transaction. Nothing of the web code is changed.
- SQLite (WAL): a lock cannot hold a writer inside its transaction, so the gunicorn of this test loads
  ``tests/web/pause_before_commit.py``, which stops a transaction that wrote places just before its
  COMMIT, with a small page cache so that uncommitted pages already stand in the WAL file.
"""
from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import date, datetime, time as clock, timedelta

import pytest
import sqlalchemy as sa

from linkage.extensions import db
from linkage.matching import services
from linkage.models import (AuditEvent, MatchKind, MatchRun, MatchStatus, Role, SignUp, SignUpStatus,
                            Volunteer, VolunteerStatus)
from linkage.models.people import Availability
from linkage.timeutil import LOCAL_TZ
from tests.conftest import PASSWORD, TEST_DB
from tests.factories import make_shift, make_user, set_born
from tests.web.test_matching_runs import next_monday

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PAUSE_CONFIG = os.path.join(ROOT, "tests", "web", "pause_before_commit.py")
SHIFTS, PLACES = 30, 10  # 300 places, one volunteer for each

pytestmark = pytest.mark.slow


@pytest.fixture
def app_config():
    return {"JOB_MODE": "inline", "MATCH_TIME_LIMIT": 20.0}


@pytest.fixture
def proposal(app, world):
    """A proposed volunteer run for next week with a place for each of 300 volunteers on 30 shifts,
    started by a second civil affairs user ("planner"); "civil" approves it. Returns the run's id,
    the planner's id and the plan as (shift id, volunteer id) pairs."""
    monday = next_monday()
    planner = make_user("planner", Role.civil_affairs, world.district)
    for number in range(SHIFTS):
        start = datetime.combine(monday + timedelta(days=number % 5), clock(9 + 2 * (number // 5)), LOCAL_TZ)
        make_shift(world.c1, start=start, hours=1, slots=((None, PLACES),), title=f"Visit round {number + 1}",
                   first_come=False)
    volunteers = [Volunteer(name=f"Helper {number + 1}", region=world.c1,
                            latitude=world.c1.latitude, longitude=world.c1.longitude,
                            status=VolunteerStatus.active,
                            availability=[Availability(weekday=day, start_time=clock(8), end_time=clock(21))
                                          for day in range(7)])
                  for number in range(SHIFTS * PLACES)]
    for helper in volunteers:
        set_born(helper, date(1990, 1, 1))
    db.session.add_all(volunteers)
    db.session.commit()
    start = datetime.combine(monday, clock.min, LOCAL_TZ)
    run_id = services.create_run(MatchKind.shifts, world.street1, actor=planner, period_start=start,
                                 period_end=start + timedelta(days=7), time_limit=20).id
    db.session.commit()
    services.start(run_id)
    db.session.commit()
    run = db.session.get(MatchRun, run_id)
    assert run.status == MatchStatus.proposed, run.error
    plan = {(int(a["shift"][1:]), int(a["volunteer"][1:])) for a in run.result["assignments"]}
    assert len(plan) >= 250, len(plan)
    db.session.commit()
    return run_id, planner.id, plan


def read(statement):
    """What ``statement`` reads from committed data, in a transaction of its own (on SQLite every
    transaction takes the write lock, which the server must get)."""
    db.session.commit()
    try:
        return db.session.execute(statement).all()
    finally:
        db.session.commit()


def placed(plan) -> set:
    """The pairs of ``plan`` that hold an assigned place."""
    rows = read(sa.select(SignUp.shift_id, SignUp.volunteer_id).where(SignUp.status == SignUpStatus.assigned))
    return {tuple(row) for row in rows} & plan


def run_status(run_id: int) -> MatchStatus:
    return read(sa.select(MatchRun.status).where(MatchRun.id == run_id))[0][0]


def count(statement) -> int:
    return read(statement)[0][0]


# --- a real gunicorn ----------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Site:
    """gunicorn serving ``wsgi:app`` on the test's database, in its own process group."""

    def __init__(self, app, tmp_path, extra_args=(), extra_env=None):
        db.session.commit()  # the test's own transaction would hold SQLite's write lock
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
               "SECRET_KEY": app.config["SECRET_KEY"], "LINKAGE_DATA_KEY": app.config["DATA_KEY"],
               "LINKAGE_INSTANCE_PATH": str(tmp_path / "site-instance"), "LINKAGE_JOB_MODE": "inline",
               # the factories' password hashes use these costs; equal costs mean no rehash on log-in
               "ARGON2_TIME_COST": str(app.config["ARGON2_TIME_COST"]),
               "ARGON2_MEMORY_COST": str(app.config["ARGON2_MEMORY_COST"]), **(extra_env or {})}
        env.pop("REDIS_URL", None)
        gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
        self.log = open(tmp_path / f"gunicorn-{self.port}.log", "wb")
        self.process = subprocess.Popen(
            [gunicorn, "--bind", f"127.0.0.1:{self.port}", "--workers", "1", "--timeout", "120",
             *extra_args, "wsgi:app"], cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True)
        cookies = urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        self.opener = urllib.request.build_opener(cookies)
        deadline = time.monotonic() + 60  # a loaded machine takes a while to import the app
        while True:
            try:
                self.get("/auth/login")
                return
            except (urllib.error.URLError, ConnectionError):
                assert self.process.poll() is None and time.monotonic() < deadline, self.output()
                time.sleep(0.2)

    def output(self) -> str:
        self.log.flush()
        with open(self.log.name, "rb") as handle:
            return handle.read().decode("utf-8", "replace")[-4000:]

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=60) as response:
            return response.read().decode("utf-8")

    def post(self, path: str, data: dict) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode()
        with self.opener.open(self.base + path, data=body, timeout=120) as response:
            return response.status, response.geturl()

    def csrf_token(self, path: str) -> str:
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', self.get(path))
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def login(self, username: str) -> None:
        token = self.csrf_token("/auth/login")
        self.post("/auth/login", {"csrf_token": token, "username": username, "password": PASSWORD})
        assert "/auth/login" not in self.get("/"), "log-in failed"

    def approve(self, run_id: int) -> tuple[int, str]:
        token = self.csrf_token(f"/matching/{run_id}")
        return self.post(f"/matching/{run_id}/approve", {"csrf_token": token, "note": "approved over HTTP"})

    def kill(self) -> None:
        """kill -9 of the master and its worker (the whole process group)."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self.log.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.kill()


@pytest.fixture
def sites(app, tmp_path):
    started = []

    def start(**options):
        site = Site(app, tmp_path, **options)
        started.append(site)
        return site
    yield start
    for site in started:
        site.stop()


def approve_in_background(site: Site, run_id: int) -> threading.Thread:
    """POST the approval from a thread; the server is killed before it answers."""
    token = site.csrf_token(f"/matching/{run_id}")
    body = urllib.parse.urlencode({"csrf_token": token, "note": "approved over HTTP"}).encode()

    def post():
        try:
            site.opener.open(site.base + f"/matching/{run_id}/approve", data=body, timeout=120).read()
        except (urllib.error.URLError, ConnectionError, OSError):
            pass  # the server died under the request, as intended
    thread = threading.Thread(target=post, daemon=True)
    thread.start()
    return thread


def wait_for(predicate, what: str, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def approve_again_applies_once(sites, run_id, plan) -> None:
    """After the crash: a new server approves the run; every place is written once; a second
    approval changes nothing."""
    site = sites()
    site.login("civil")
    status, _url = site.approve(run_id)
    assert status == 200
    assert run_status(run_id) == MatchStatus.approved
    assert placed(plan) == plan
    written = count(sa.select(sa.func.count(SignUp.id)))
    assert written == len(plan)
    # A second click (a page left open before the approval) changes nothing.
    token = site.csrf_token(f"/matching/{run_id}")
    status, _url = site.post(f"/matching/{run_id}/approve", {"csrf_token": token})
    assert status == 200
    assert count(sa.select(sa.func.count(SignUp.id))) == written
    approvals = count(sa.select(sa.func.count(AuditEvent.id)).where(
        AuditEvent.action == "match_run.approve", AuditEvent.subject_id == run_id))
    assert approvals == 1


# --- PostgreSQL ---------------------------------------------------------------------------------------

def sign_up_ids_drawn(connection) -> int:
    """How many sign-up ids the database has handed out, committed or not (sequences are not
    transactional)."""
    last, called = connection.execute(sa.text(
        "SELECT last_value, is_called FROM sign_ups_id_seq")).one()
    return last if called else last - 1


def backend_gone(connection, pid: int) -> bool:
    """Has the server process ``pid`` ended? (Each look in its own transaction: within one, the
    activity view keeps its first snapshot.)"""
    try:
        return connection.execute(sa.text("SELECT count(*) = 0 FROM pg_stat_activity WHERE pid = :pid"),
                                  {"pid": pid}).scalar()
    finally:
        connection.rollback()


@pytest.mark.skipif(TEST_DB != "postgresql", reason="the row lock that holds the approval inside its "
                    "transaction is PostgreSQL's; the SQLite variant below runs in the SQLite suite")
def test_web_process_killed_mid_approval_applies_nothing_postgresql(app, world, proposal, sites):
    run_id, planner_id, plan = proposal
    site = sites()
    site.login("civil")
    blocker = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    with blocker.connect() as lock:
        drawn_before = sign_up_ids_drawn(lock)
        # The approval's last insert, the planner's notification, checks the planner's row: it waits here.
        lock.execute(sa.text("SELECT id FROM users WHERE id = :id FOR UPDATE"), {"id": planner_id})
        request = approve_in_background(site, run_id)
        pid = wait_for(lambda: lock.execute(sa.text(
            "SELECT pid FROM pg_locks WHERE NOT granted AND pg_backend_pid() = ANY(pg_blocking_pids(pid))"
        )).scalar(), "the approval to wait on the lock")
        # Inside that transaction every place is written (ids are drawn outside transactions) …
        assert sign_up_ids_drawn(lock) - drawn_before == len(plan)
        # … and outside it nothing shows.
        assert placed(plan) == set() and run_status(run_id) == MatchStatus.proposed
        site.kill()
        request.join(timeout=30)
        lock.rollback()  # the lock is released; the orphaned transaction ends without a COMMIT
        wait_for(lambda: backend_gone(lock, pid), "the killed server's connection to end")
    blocker.dispose()
    assert placed(plan) == set()
    assert run_status(run_id) == MatchStatus.proposed
    assert count(sa.select(sa.func.count(SignUp.id))) == 0
    approve_again_applies_once(sites, run_id, plan)


# --- SQLite -------------------------------------------------------------------------------------------

def committed(path: str, query: str, writable: bool = False):
    """One value read from what is committed in the SQLite file, by a plain reader (the test's own
    session would start a write transaction and wait for the paused one)."""
    import sqlite3

    reader = sqlite3.connect(f"file:{path}?mode={'rw' if writable else 'ro'}", uri=True, isolation_level=None)
    try:
        return reader.execute(query).fetchone()[0]
    finally:
        reader.close()


def write_lock_is_held(path: str) -> bool:
    import sqlite3

    writer = sqlite3.connect(path, isolation_level=None, timeout=0.2)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError as error:
        return "locked" in str(error)
    finally:
        writer.close()


@pytest.mark.skipif(TEST_DB != "sqlite", reason="the SQLite variant runs in the SQLite suite; the "
                    "PostgreSQL suite runs the PostgreSQL variant above")
def test_web_process_killed_mid_approval_applies_nothing_sqlite(app, world, proposal, sites, tmp_path):
    run_id, _planner_id, plan = proposal
    path = sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database
    marker = tmp_path / "paused"
    site = sites(extra_args=("-c", PAUSE_CONFIG), extra_env={"LINKAGE_TEST_PAUSE_MARKER": str(marker)})
    site.login("civil")
    # An empty WAL file: whatever stands in it later is the approval's.
    committed(path, "PRAGMA wal_checkpoint(TRUNCATE)", writable=True)
    assert os.path.getsize(path + "-wal") == 0
    request = approve_in_background(site, run_id)
    wait_for(marker.exists, "the approval to reach its COMMIT")
    time.sleep(0.2)  # the marker is written before its number
    # Every place is written inside the open transaction, some of it already in the WAL file …
    assert int(marker.read_text()) == len(plan)
    assert write_lock_is_held(path)
    assert os.path.getsize(path + "-wal") > 0
    # … and outside it nothing shows.
    assert committed(path, "SELECT count(*) FROM sign_ups") == 0
    assert committed(path, f"SELECT status FROM match_runs WHERE id = {run_id}") == MatchStatus.proposed.name
    site.kill()
    request.join(timeout=30)
    assert committed(path, "PRAGMA integrity_check") == "ok"
    assert placed(plan) == set()
    assert run_status(run_id) == MatchStatus.proposed
    assert count(sa.select(sa.func.count(SignUp.id))) == 0
    approve_again_applies_once(sites, run_id, plan)
