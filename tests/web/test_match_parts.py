"""A district's volunteer run solved in parts: one job per part, merged into one proposal by the last
part to finish, a part whose worker died put back in the queue (linkage/matching/services.py)."""
import os
import signal
import subprocess
import sys
import time as clock
import uuid
from datetime import datetime, time, timedelta

import pytest
import sqlalchemy as sa

from linkage.extensions import db
from linkage.matching import services
from linkage.models import AuditEvent, MatchRun, MatchRunPart, MatchStatus, RegionLevel, SignUp, SignUpStatus
from linkage.timeutil import LOCAL_TZ
from matching.shifts import parse_shift_problem, solve_shifts
from tests.factories import make_region, make_shift, make_volunteer
from tests.matching.checker import check_shifts
from tests.web.test_match_queue import ROOT, worker  # noqa: F401  (a fixture)
from tests.web.test_matching_runs import next_monday, run_together, start_run

REDIS_URL = os.environ.get("LINKAGE_TEST_REDIS", "redis://127.0.0.1:6379/0")


@pytest.fixture
def app_config():
    return {"JOB_MODE": "inline", "MATCH_TIME_LIMIT": 5.0, "MATCH_PARTS": 3}


def at(day, hour):
    return datetime.combine(day, time(hour), LOCAL_TZ)


@pytest.fixture
def district_week(world):
    """Next week: shifts and volunteers in street 1 and in a street 30 km away, where nobody from
    street 1 can go (so the candidate graph has two components at least); one place already taken."""
    monday = next_monday()
    far_street = make_region("Far Street", RegionLevel.street, world.district, lat=31.5, lon=121.47)
    far = make_region("Far Community", RegionLevel.community, far_street, lat=31.5, lon=121.47)
    shifts = []
    for day in range(3):
        for region in (world.c1, world.c2, far):
            shifts.append(make_shift(region, start=at(monday + timedelta(days=day), 9 + 2 * (day % 2)), hours=2,
                                     slots=((None, 2),), title=f"Round {len(shifts) + 1}", first_come=False))
    volunteers = [make_volunteer(region, name=f"Helper {k}") for k in range(4) for region in (world.c1, far)]
    db.session.add(SignUp(shift=shifts[2], volunteer=volunteers[1], status=SignUpStatus.assigned,
                          slot_id=shifts[2].slots[0].id))
    db.session.commit()
    return {"monday": monday, "shifts": shifts, "volunteers": volunteers}


def parts_of(run_id):
    db.session.expire_all()
    return db.session.scalars(sa.select(MatchRunPart).where(MatchRunPart.run_id == run_id)
                              .order_by(MatchRunPart.number)).all()


def test_a_district_run_in_process_solves_its_parts_in_turn_and_merges_one_proposal(client, auth, world,
                                                                                   district_week):
    auth.login("civil")
    run = start_run(client, world, region=world.district, week=district_week["monday"].isoformat())
    db.session.expire_all()
    assert run.status == MatchStatus.proposed, run.error
    parts = parts_of(run.id)
    assert len(parts) >= 2 and all(p.status == "done" and p.attempts == 1 for p in parts)
    # no volunteer and no shift in two parts
    volunteers = [v["id"] for p in parts for v in p.problem["volunteers"]]
    shifts = [s["id"] for p in parts for s in p.problem["shifts"]]
    assert len(volunteers) == len(set(volunteers))
    assert sorted(shifts) == sorted(s["id"] for s in run.problem["shifts"])
    # the merged proposal keeps every rule of the whole problem and is its optimum (exact components)
    check_shifts(run.problem, run.result)
    whole = solve_shifts(parse_shift_problem(run.problem), time_limit=10).to_dict()
    assert run.result["status"] == "OPTIMAL" and run.result["objective"] == whole["objective"] == run.objective
    assert run.result["stats"]["split"]["parts"] == len(parts)
    assert run.baseline["objective"] == sum(p.baseline["objective"] for p in parts)
    # one finish, recorded once
    finishes = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "match_run.finish",
                                                              AuditEvent.subject_id == run.id)).all()
    assert len(finishes) == 1
    status = client.get(f"/matching/{run.id}/status.json").get_json()
    assert status["parts"] == len(parts) and status["parts_done"] == len(parts) and status["finished"]
    # the one proposal is reviewed and approved as any other
    page = client.get(f"/matching/{run.id}")
    assert page.status_code == 200
    assert f"Solved in {len(parts)} independent parts" in page.get_data(as_text=True)
    chinese = client.get(f"/matching/{run.id}", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert f"分为 {len(parts)} 个相互独立的部分" in chinese
    response = client.post(f"/matching/{run.id}/approve", data={"note": "ok"})
    assert response.status_code == 302
    placed = db.session.execute(sa.select(SignUp.volunteer_id, SignUp.shift_id)
                                .where(SignUp.status == SignUpStatus.assigned)).all()
    assert {(f"v{v}", f"s{s}") for v, s in placed} == {(a["volunteer"], a["shift"]) for a in run.result["assignments"]}


def test_a_street_run_is_solved_whole(client, auth, world, district_week):
    auth.login("civil")
    run = start_run(client, world, region=world.street1, week=district_week["monday"].isoformat())
    db.session.expire_all()
    assert run.status == MatchStatus.proposed and parts_of(run.id) == []
    assert "split" not in run.result["stats"]


def test_parts_finishing_together_merge_exactly_once(app, world, district_week):
    """Two parts store their results at the same moment: one of them merges, the run finishes once."""
    monday = datetime.combine(district_week["monday"], time.min, LOCAL_TZ)
    run = services.create_run(services.MatchKind.shifts, world.district, actor=world["civil"], period_start=monday,
                              period_end=monday + timedelta(days=7), time_limit=5)
    db.session.commit()
    run_id = run.id
    app.config["JOB_MODE"] = "redis"  # split and queue only: nothing solves the parts yet
    app.config["REDIS_URL"] = REDIS_URL
    app.config["JOB_QUEUE"] = f"linkage-test-{uuid.uuid4().hex[:8]}"
    try:
        services.execute_run(run_id)
    finally:
        from redis import Redis
        from rq import Queue
        Queue(app.config["JOB_QUEUE"], connection=Redis.from_url(REDIS_URL)).delete(delete_jobs=True)
    parts = parts_of(run_id)
    assert len(parts) == 2 and all(p.status == "queued" and p.job_id for p in parts)
    solved = {}
    for part in parts:
        result = solve_shifts(parse_shift_problem(part.problem), time_limit=5).to_dict()
        solved[part.id] = (result, {"objective": 0, "assignments": 0, "coverage_by_urgency": {}})
    db.session.execute(sa.update(MatchRunPart).where(MatchRunPart.run_id == run_id).values(status="running"))
    db.session.commit()
    outcomes = run_together(app, *[lambda pid=pid: services._finish_part(pid, *solved[pid]) for pid in solved])
    assert outcomes == [None, None]
    db.session.expire_all()
    run = db.session.get(MatchRun, run_id)
    assert run.status == MatchStatus.proposed
    check_shifts(run.problem, run.result)
    finishes = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "match_run.finish",
                                                              AuditEvent.subject_id == run.id)).all()
    assert len(finishes) == 1


# --- on the real Redis queue -------------------------------------------------------------------------

@pytest.fixture
def redis_config():
    return {"JOB_MODE": "redis", "REDIS_URL": REDIS_URL, "JOB_QUEUE": f"linkage-test-{uuid.uuid4().hex[:8]}",
            "MATCH_STALE_SECONDS": 8.0, "MATCH_PARTS": 3}


class TestOnTheQueue:
    @pytest.fixture
    def app_config(self, redis_config):
        return redis_config

    @pytest.fixture(autouse=True)
    def empty_queue(self, app):
        yield
        from redis import Redis
        from rq import Queue
        Queue(app.config["JOB_QUEUE"], connection=Redis.from_url(REDIS_URL)).delete(delete_jobs=True)

    def test_a_district_run_enqueues_one_job_per_part_and_merges(self, client, auth, world, district_week,
                                                                 worker):  # noqa: F811
        auth.login("civil")
        run = start_run(client, world, region=world.district, week=district_week["monday"].isoformat())
        assert run.status == MatchStatus.queued and run.job_id
        db.session.commit()  # on SQLite an open transaction holds the write lock the worker needs
        process = worker(burst=True)  # the run's job splits and queues the parts; the same burst solves them
        assert process.wait(timeout=120) == 0, open(process.log_path).read()[-3000:]
        db.session.expire_all()
        run = db.session.get(MatchRun, run.id)
        assert run.status == MatchStatus.proposed, open(process.log_path).read()[-3000:]
        parts = parts_of(run.id)
        assert len(parts) >= 2 and all(p.status == "done" and p.job_id for p in parts)
        assert len({p.job_id for p in parts} | {run.job_id}) == len(parts) + 1  # a job per part
        check_shifts(run.problem, run.result)

    def test_a_part_whose_worker_died_is_queued_again_and_the_run_completes(self, app, client, auth, world,
                                                                            district_week, worker):  # noqa: F811
        from redis import Redis
        from rq import Queue

        auth.login("civil")
        run = start_run(client, world, region=world.district, week=district_week["monday"].isoformat())
        run_id = run.id
        db.session.commit()
        services.execute_run(run_id)  # split and queue the parts here, as a worker would
        run = db.session.get(MatchRun, run_id)
        queue = Queue(app.config["JOB_QUEUE"], connection=Redis.from_url(REDIS_URL))
        parts = parts_of(run.id)
        assert len(parts) >= 2 and set(queue.job_ids) >= {p.job_id for p in parts}
        # A worker took the first part and died with it: its job is gone, its heartbeat is old.
        lost, lost_job = parts[0], parts[0].job_id
        queue.remove(lost_job)
        db.session.execute(sa.update(MatchRunPart).where(MatchRunPart.id == lost.id).values(
            status="running", attempts=1, started_at=services.utcnow() - timedelta(seconds=60),
            heartbeat_at=services.utcnow() - timedelta(seconds=60)))
        db.session.commit()
        status = client.get(f"/matching/{run.id}/status.json").get_json()  # staff watch the run: the reaper runs
        assert status["status"] == "running" and status["parts_done"] == 0
        db.session.expire_all()
        again = db.session.get(MatchRunPart, lost.id)
        assert again.status == "queued" and again.job_id != lost_job and again.job_id in queue.job_ids
        db.session.commit()
        process = worker(burst=True)
        assert process.wait(timeout=120) == 0, open(process.log_path).read()[-3000:]
        db.session.expire_all()
        run = db.session.get(MatchRun, run.id)
        assert run.status == MatchStatus.proposed, run.error
        assert db.session.get(MatchRunPart, lost.id).attempts == 2
        check_shifts(run.problem, run.result)
        retries = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "match_run.retry_part")).all()
        assert len(retries) == 1

    def test_parts_never_handed_to_the_queue_are_queued_once_the_run_is_silent(self, app, client, auth, world,
                                                                               district_week):
        """The worker that split the run stopped before it queued the parts: the reaper queues them."""
        from redis import Redis
        from rq import Queue

        auth.login("civil")
        run = start_run(client, world, region=world.district, week=district_week["monday"].isoformat())
        run_id = run.id
        db.session.commit()
        services.execute_run(run_id)
        queue = Queue(app.config["JOB_QUEUE"], connection=Redis.from_url(REDIS_URL))
        queue.empty()
        db.session.execute(sa.update(MatchRunPart).where(MatchRunPart.run_id == run_id).values(job_id=None))
        db.session.execute(sa.update(MatchRun).where(MatchRun.id == run_id).values(
            heartbeat_at=services.utcnow() - timedelta(seconds=5)))
        db.session.commit()
        client.get(f"/matching/{run_id}/status.json")  # silent for less than MATCH_STALE_SECONDS: wait
        assert all(p.job_id is None for p in parts_of(run_id)) and not queue.job_ids
        db.session.execute(sa.update(MatchRun).where(MatchRun.id == run_id).values(
            heartbeat_at=services.utcnow() - timedelta(seconds=60)))
        db.session.commit()
        client.get(f"/matching/{run_id}/status.json")
        parts = parts_of(run_id)
        assert all(p.job_id for p in parts) and set(queue.job_ids) == {p.job_id for p in parts}
        assert all(p.status == "queued" and p.attempts == 0 for p in parts)

    def test_a_part_that_keeps_dying_fails_the_run(self, app, client, auth, world, district_week):
        auth.login("civil")
        app.config["MATCH_PART_ATTEMPTS"] = 2
        run = start_run(client, world, region=world.district, week=district_week["monday"].isoformat())
        run_id = run.id
        db.session.commit()
        services.execute_run(run_id)
        run = db.session.get(MatchRun, run_id)
        part = parts_of(run.id)[0]
        db.session.execute(sa.update(MatchRunPart).where(MatchRunPart.id == part.id).values(
            status="running", attempts=2, heartbeat_at=services.utcnow() - timedelta(seconds=60)))
        db.session.commit()
        client.get(f"/matching/{run.id}/status.json")
        db.session.expire_all()
        run = db.session.get(MatchRun, run.id)
        assert run.status == MatchStatus.failed and run.error == services.WORKER_STOPPED
        assert db.session.scalar(sa.select(sa.func.count(SignUp.id)).where(SignUp.status == SignUpStatus.assigned)) == 1

    def test_workers_queue_a_lost_part_again_though_nobody_watches_the_run(self, app, client, auth, world,
                                                                           district_week, tmp_path):
        """No page is opened: the reaper that runs beside each worker's jobs finds the lost part."""
        from redis import Redis
        from rq import Queue

        auth.login("civil")
        run = start_run(client, world, region=world.district, week=district_week["monday"].isoformat())
        run_id = run.id
        db.session.commit()
        services.execute_run(run_id)
        queue = Queue(app.config["JOB_QUEUE"], connection=Redis.from_url(REDIS_URL))
        lost = parts_of(run_id)[0]
        lost_id = lost.id
        queue.remove(lost.job_id)
        db.session.execute(sa.update(MatchRunPart).where(MatchRunPart.id == lost_id).values(
            status="running", attempts=1, heartbeat_at=services.utcnow() - timedelta(seconds=60)))
        db.session.commit()
        env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "REDIS_URL": REDIS_URL,
               "SECRET_KEY": app.config["SECRET_KEY"], "LINKAGE_DATA_KEY": app.config["DATA_KEY"],
               "LINKAGE_JOB_QUEUE": app.config["JOB_QUEUE"], "LINKAGE_INSTANCE_PATH": str(tmp_path / "worker"),
               "LINKAGE_MATCH_HEARTBEAT_SECONDS": "0.5", "LINKAGE_MATCH_STALE_SECONDS": "2", "FLASK_APP": "wsgi.py"}
        with open(tmp_path / "worker.log", "wb") as log:
            process = subprocess.Popen([sys.executable, "-m", "flask", "worker"], cwd=ROOT, env=env, stdout=log,
                                       stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = clock.monotonic() + 90
            while clock.monotonic() < deadline:
                db.session.expire_all()
                if db.session.get(MatchRun, run_id).status != MatchStatus.running:
                    break
                db.session.commit()
                clock.sleep(0.3)
        finally:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        run = db.session.get(MatchRun, run_id)
        assert run.status == MatchStatus.proposed, open(tmp_path / "worker.log").read()[-3000:]
        assert db.session.get(MatchRunPart, lost_id).attempts == 2
        check_shifts(run.problem, run.result)
