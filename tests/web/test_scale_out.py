"""Scaled out on loopback: two gunicorn app servers (separate processes, no shared memory), one
PostgreSQL database, Redis, three RQ workers (`flask worker`).

- A district's volunteer run is split into parts that the three workers solve at once; one worker is
  killed (SIGKILL) while it holds a part; the reaper (beside the surviving workers' jobs, and in the
  other app server as staff watch the run there) puts that part back in the queue; a surviving worker
  solves it and the run completes with one merged proposal that keeps every rule of the whole problem.
- Meanwhile volunteers sign up through both app servers at once; no shift is ever overbooked.

Every process started here is killed at the end, also when the test fails.
"""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from linkage.extensions import db
from linkage.matching import services
from linkage.models import MatchKind, MatchRun, MatchRunPart, MatchStatus, Role, SignUp, SignUpStatus
from linkage.timeutil import LOCAL_TZ
from tests.conftest import PASSWORD, TEST_DB
from tests.factories import make_shift, make_user, make_volunteer
from tests.matching.checker import check_shifts
from tests.matching.test_split import districts

pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    TEST_DB != "postgresql", reason="two app servers and three workers write at once: a production setup needs "
                                    "PostgreSQL (SQLite lets one writer in at a time and is not a production database)")]

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REDIS_URL = os.environ.get("LINKAGE_TEST_REDIS", "redis://127.0.0.1:6379/0")
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
STALE = 6.0  # seconds without a heartbeat before a part counts as lost (beats every 0.5 s; a loaded machine
# never stretches a beat that far, while the lost part is still found within seconds of the kill)


@pytest.fixture
def app_config():
    return {"JOB_MODE": "redis", "REDIS_URL": REDIS_URL, "JOB_QUEUE": f"linkage-test-{uuid.uuid4().hex[:8]}",
            "MATCH_STALE_SECONDS": STALE}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Cluster:
    """The processes of the test, each in its own process group; ``stop`` kills every one of them."""

    def __init__(self, app, tmp_path):
        self.tmp_path = tmp_path
        self.processes: list[subprocess.Popen] = []
        self.env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "REDIS_URL": REDIS_URL,
                    "SECRET_KEY": app.config["SECRET_KEY"], "LINKAGE_DATA_KEY": app.config["DATA_KEY"],
                    "LINKAGE_JOB_QUEUE": app.config["JOB_QUEUE"], "LINKAGE_MATCH_HEARTBEAT_SECONDS": "0.5",
                    "LINKAGE_MATCH_STALE_SECONDS": str(STALE), "LINKAGE_MATCH_PARTS": "3",
                    "LINKAGE_MATCH_CUT_PAIRS": "100000000", "FLASK_APP": "wsgi.py",
                    "LINKAGE_LOGIN_RATE_LIMIT": "100000 per minute",
                    "LINKAGE_RATELIMIT_KEY_PREFIX": app.config["RATELIMIT_KEY_PREFIX"],
                    "ARGON2_TIME_COST": str(app.config["ARGON2_TIME_COST"]),
                    "ARGON2_MEMORY_COST": str(app.config["ARGON2_MEMORY_COST"])}
        if app.config.get("AUDIT_KEY"):
            self.env["LINKAGE_AUDIT_KEY"] = app.config["AUDIT_KEY"]
        self.env.pop("LINKAGE_JOB_MODE", None)

    def _start(self, name: str, command: list[str]) -> subprocess.Popen:
        log = open(self.tmp_path / f"{name}.log", "wb")
        env = {**self.env, "LINKAGE_INSTANCE_PATH": str(self.tmp_path / name)}
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        process.log_path = log.name
        log.close()
        self.processes.append(process)
        return process

    def app_server(self, name: str) -> str:
        port = _free_port()
        gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
        self._start(name, [gunicorn, "--bind", f"127.0.0.1:{port}", "--workers", "2", "--timeout", "60",
                           "wsgi:app"])
        return f"http://127.0.0.1:{port}"

    def worker(self, name: str) -> subprocess.Popen:
        return self._start(name, [sys.executable, "-m", "flask", "worker"])

    def logs(self) -> str:
        out = []
        for process in self.processes:
            with open(process.log_path, "rb") as handle:
                out.append(f"--- {process.args[-1]} {process.pid}\n" + handle.read().decode("utf-8", "replace")[-1500:])
        return "\n".join(out)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            process.wait(timeout=10)


@pytest.fixture
def cluster(app, tmp_path):
    started = Cluster(app, tmp_path)
    try:
        yield started
    finally:
        started.stop()
        from redis import Redis
        from rq import Queue
        Queue(app.config["JOB_QUEUE"], connection=Redis.from_url(REDIS_URL)).delete(delete_jobs=True)


def wait_until(predicate, what: str, cluster: Cluster, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}\n{cluster.logs()}")


def read(statement):
    """What ``statement`` reads from committed data, in a transaction of its own."""
    db.session.commit()
    try:
        return db.session.execute(statement).all()
    finally:
        db.session.commit()


def log_in(base: str, username: str):
    import requests

    session = requests.Session()
    token = CSRF.search(session.get(f"{base}/auth/login", timeout=30).text).group(1)
    answer = session.post(f"{base}/auth/login", data={"username": username, "password": PASSWORD,
                                                      "csrf_token": token}, allow_redirects=False, timeout=30)
    assert answer.status_code == 302, f"log-in as {username} on {base} answered {answer.status_code}"
    session.headers["X-CSRFToken"] = CSRF.search(session.get(f"{base}/", timeout=30).text).group(1)
    return session


def up(base: str) -> bool:
    import requests

    try:
        return requests.get(f"{base}/healthz", timeout=5).status_code == 200
    except requests.RequestException:
        return False


@pytest.fixture
def rush(world):
    """Four one-hour shifts of three places on four days, 24 volunteers with accounts."""
    first = (datetime.now(LOCAL_TZ) + timedelta(days=2)).replace(hour=10, minute=0, second=0, microsecond=0)
    shifts = [make_shift(world.c1, start=first + timedelta(days=day), hours=1, slots=((None, 3),),
                         title=f"Rush shift {day}").id for day in range(4)]
    names = []
    for number in range(24):
        user = make_user(f"rush{number:02d}", Role.volunteer, world.c1)
        make_volunteer(world.c1, user=user, name=f"Rush volunteer {number}")
        names.append(user.username)
    db.session.commit()
    return shifts, names


def a_district_run(world) -> int:
    """A queued volunteer run over the district: three areas 50 km apart, each a part that takes
    seconds to solve (the problem is generated, as in the queue tests; a part of 800 volunteers for
    250 shifts takes 2 to 9 s on a quiet machine, one for 100 shifts under half a second, which a
    killed worker may already have finished)."""
    problem = districts(21, 22, 23, volunteers=800, shifts=250)
    monday = datetime.now(LOCAL_TZ).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    run = MatchRun(kind=MatchKind.shifts, region=world.district, problem=problem,
                   inputs={"shifts": {}, "volunteers": {}}, period_start=monday,
                   period_end=monday + timedelta(days=7), time_limit=10, created_by=world["civil"],
                   status=MatchStatus.queued)
    db.session.add(run)
    db.session.commit()
    return run.id


def sign_up_through_both(bases: list[str], names: list[str], shifts: list[int]) -> Counter:
    """Each volunteer, on the app server of their number's parity, tries every shift; all at once."""
    sessions = [log_in(bases[k % 2], name) for k, name in enumerate(names)]
    answers: Counter = Counter()
    lock = threading.Lock()
    barrier = threading.Barrier(len(sessions))

    def volunteer(k, session):
        barrier.wait()
        for shift_id in shifts[k % len(shifts):] + shifts[:k % len(shifts)]:
            status = session.post(f"{bases[k % 2]}/shifts/{shift_id}/sign-up", allow_redirects=False,
                                  timeout=60).status_code
            with lock:
                answers[(k % 2, status)] += 1

    threads = [threading.Thread(target=volunteer, args=(k, s)) for k, s in enumerate(sessions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def test_district_run_over_three_workers_survives_a_killed_worker_and_sign_ups_never_overbook(
        app, world, rush, cluster):
    shifts, names = rush
    run_id = a_district_run(world)
    bases = [cluster.app_server("app-a"), cluster.app_server("app-b")]
    workers = [cluster.worker(f"worker-{k}") for k in range(3)]
    wait_until(lambda: all(up(base) for base in bases), "both app servers", cluster)

    services.start(run_id)  # enqueue, as the app does after the run's page is posted
    db.session.commit()
    # The parts spread over the workers; kill the worker that holds the first part to start.
    from redis import Redis
    from rq import Worker
    redis = Redis.from_url(REDIS_URL)

    def running():
        return dict(read(sa.select(MatchRunPart.job_id, MatchRunPart.id).where(
            MatchRunPart.run_id == run_id, MatchRunPart.status == "running", MatchRunPart.job_id.is_not(None))))

    def holder():
        """A worker stopped (SIGSTOP) while its part is still running: it can finish nothing before
        the kill. A worker that finished its part between the two looks is let go on."""
        jobs = running()
        for rq_worker in Worker.all(connection=redis):
            job_id = rq_worker.get_current_job_id()
            victim = [w for w in workers if w.pid == rq_worker.pid]
            if job_id in jobs and victim:
                os.killpg(victim[0].pid, signal.SIGSTOP)
                if running().get(job_id) == jobs[job_id]:
                    return victim[0], jobs[job_id]
                os.killpg(victim[0].pid, signal.SIGCONT)
        return None
    victim, lost_part = wait_until(holder, "a worker holding a part", cluster)
    os.killpg(victim.pid, signal.SIGKILL)
    victim.wait(timeout=10)
    assert len(read(sa.select(MatchRunPart.id).where(MatchRunPart.run_id == run_id))) == 3

    # Volunteers rush both app servers meanwhile.
    answers = sign_up_through_both(bases, names, shifts)

    # Staff watch the run on the other app server; the lost part is put back in the queue meanwhile.
    watcher = log_in(bases[1], "civil")

    def finished():
        status = watcher.get(f"{bases[1]}/matching/{run_id}/status.json", timeout=30).json()
        return status if status["finished"] else None
    status = wait_until(finished, "the run to finish", cluster, timeout=90)
    assert status["status"] == "proposed", cluster.logs()
    assert status["parts"] == 3 and status["parts_done"] == 3

    run = db.session.get(MatchRun, run_id)
    db.session.refresh(run)
    check_shifts(run.problem, run.result)
    assert run.result["stats"]["split"]["parts"] == 3
    attempts = dict(read(sa.select(MatchRunPart.id, MatchRunPart.attempts).where(MatchRunPart.run_id == run_id)))
    assert attempts[lost_part] == 2 and sorted(attempts.values()) == [1, 1, 2]
    assert len({a["volunteer"] for a in run.result["assignments"]}) <= len(run.problem["volunteers"])

    # Both app servers took sign-ups; none failed; no shift is over its places.
    assert {server for server, _status in answers} == {0, 1}
    assert all(status_code == 302 for (_server, status_code) in answers), answers
    held = Counter(shift_id for (shift_id,) in read(sa.select(SignUp.shift_id).where(
        SignUp.status == SignUpStatus.assigned)))
    assert all(held[shift_id] <= 3 for shift_id in shifts), held
    assert sum(held[shift_id] for shift_id in shifts) == 3 * len(shifts)  # every place taken, none twice
