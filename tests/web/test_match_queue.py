"""Match runs on the real Redis job queue, with `flask worker` in a separate process."""
import os
import signal
import subprocess
import sys
import time as clock
import uuid
from datetime import datetime, time, timedelta

import pytest
import sqlalchemy as sa

from benchmarks.generate_shifts import generate
from linkage.extensions import db
from linkage.matching import services
from linkage.models import MatchKind, MatchRun, MatchStatus, SignUp
from linkage.timeutil import LOCAL_TZ
from tests.web.test_matching_runs import start_run, week  # noqa: F401  (week is a fixture)

REDIS_URL = os.environ.get("LINKAGE_TEST_REDIS", "redis://127.0.0.1:6379/0")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def app_config():
    return {"JOB_MODE": "redis", "REDIS_URL": REDIS_URL, "JOB_QUEUE": f"linkage-test-{uuid.uuid4().hex[:8]}",
            # Beats come every 0.5 s; a worker counts as gone after 8 s without one, which a loaded
            # machine never stretches a beat to, while the test still sees the failure soon after a kill.
            "MATCH_STALE_SECONDS": 8.0}


@pytest.fixture
def worker(app, tmp_path):
    """Start `flask worker` on this test's database and queue; stop (kill) it at the end."""
    processes = []

    def start(burst=False):
        env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "REDIS_URL": REDIS_URL,
               "SECRET_KEY": app.config["SECRET_KEY"], "LINKAGE_DATA_KEY": app.config["DATA_KEY"],
               "LINKAGE_JOB_QUEUE": app.config["JOB_QUEUE"], "LINKAGE_INSTANCE_PATH": str(tmp_path / "worker"),
               "LINKAGE_MATCH_HEARTBEAT_SECONDS": "0.5", "FLASK_APP": "wsgi.py"}
        log = open(tmp_path / f"worker{len(processes)}.log", "wb")
        process = subprocess.Popen([sys.executable, "-m", "flask", "worker"] + (["--burst"] if burst else []),
                                   cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        process.log_path = log.name
        processes.append((process, log))
        return process

    yield start
    for process, log in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        log.close()
    from redis import Redis
    from rq import Queue
    Queue(app.config["JOB_QUEUE"], connection=Redis.from_url(REDIS_URL)).empty()


def wait_for(predicate, timeout=60.0):
    deadline = clock.monotonic() + timeout
    while clock.monotonic() < deadline:
        db.session.expire_all()
        value = predicate()
        if value:
            return value
        db.session.commit()
        clock.sleep(0.2)
    raise AssertionError("timed out")


def test_worker_process_solves_a_queued_run(client, auth, world, week, worker):  # noqa: F811
    auth.login("civil")
    run = start_run(client, world, week=week["monday"].isoformat())
    assert run.status == MatchStatus.queued and run.job_id
    status = client.get(f"/matching/{run.id}/status.json").get_json()
    assert status["status"] == "queued" and status["finished"] is False
    process = worker(burst=True)
    assert process.wait(timeout=120) == 0, open(process.log_path).read()[-3000:]
    db.session.expire_all()
    run = db.session.get(MatchRun, run.id)
    assert run.status == MatchStatus.proposed, run.error
    status = client.get(f"/matching/{run.id}/status.json").get_json()
    assert status["finished"] is True and status["objective"] == run.result["objective"]


def test_killed_worker_leaves_the_run_failed_and_nothing_applied(client, auth, world, week, worker):  # noqa: F811
    """A worker killed mid-solve leaves the run failed, nothing applied; staff re-run it from its page
    (in Chinese) and the new run completes with a proposal."""
    problem = generate(3000, 400, 7)
    sign_ups = db.session.scalars(sa.select(SignUp.status)).all()  # the week's one request for a place
    monday = datetime.combine(week["monday"], time.min, LOCAL_TZ)
    run = MatchRun(kind=MatchKind.shifts, region=world.street1, problem=problem, inputs={"shifts": {}, "volunteers": {}},
                   period_start=monday, period_end=monday + timedelta(days=7), time_limit=120,
                   created_by=world["civil"], status=MatchStatus.queued)
    db.session.add(run)
    db.session.commit()
    services.start(run.id)
    db.session.commit()
    process = worker()
    # Progress is visible while it runs: status, elapsed time, a fresh heartbeat.
    wait_for(lambda: db.session.get(MatchRun, run.id).status == MatchStatus.running)
    first_beat = db.session.get(MatchRun, run.id).heartbeat_at
    wait_for(lambda: db.session.get(MatchRun, run.id).heartbeat_at > first_beat)
    auth.login("civil")
    status = client.get(f"/matching/{run.id}/status.json").get_json()
    assert status["status"] == "running" and status["elapsed"] is not None
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    clock.sleep(8.5)  # longer than MATCH_STALE_SECONDS, so the missing heartbeat shows
    page = client.get(f"/matching/{run.id}", headers={"Accept-Language": "zh-CN"})
    assert page.status_code == 200
    db.session.expire_all()
    run = db.session.get(MatchRun, run.id)
    assert run.status == MatchStatus.failed and "stopped" in run.error
    assert db.session.scalars(sa.select(SignUp.status)).all() == sign_ups  # nothing applied

    # Retryable: the failed run's page says so in Chinese and offers a re-run on the current data.
    text = page.get_data(as_text=True)
    assert "后台任务已停止响应，未应用任何结果。请重新运行。" in text
    rerun_url = f"/matching/{run.id}/rerun"
    assert f'action="{rerun_url}"' in text and "基于当前数据重新运行" in text
    response = client.post(rerun_url)
    assert response.status_code == 302
    again = db.session.scalars(sa.select(MatchRun).where(MatchRun.parent_id == run.id)).one()
    assert response.headers["Location"].endswith(f"/matching/{again.id}")
    assert again.status == MatchStatus.queued and again.job_id
    db.session.commit()  # on SQLite an open transaction holds the write lock the worker needs
    process = worker(burst=True)
    assert process.wait(timeout=120) == 0, open(process.log_path).read()[-3000:]
    db.session.expire_all()
    again = db.session.get(MatchRun, again.id)
    assert again.status == MatchStatus.proposed, again.error
    assert again.result["assignments"]
    assert db.session.get(MatchRun, run.id).status == MatchStatus.failed  # the failed run keeps its record
