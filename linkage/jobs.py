"""Background work: a Redis-backed RQ queue in production, a thread in the embedded default.

JOB_MODE: "redis" (REDIS_URL set; `flask worker` runs the jobs), "thread" (in the web process),
or "inline" (in the caller, for tests and the CLI). Jobs are plain functions taking ids; each opens
its own transactions, so nothing is held open while a job runs.
"""
from __future__ import annotations

import importlib
import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Optional

from flask import Flask, current_app, request_started

log = logging.getLogger(__name__)
_executor: Optional[ThreadPoolExecutor] = None


def mode(app: Flask) -> str:
    configured = app.config.get("JOB_MODE")
    if configured:
        return configured
    return "redis" if app.config.get("REDIS_URL") else "thread"


def redis_connection(app: Flask):
    from redis import Redis

    return Redis.from_url(app.config["REDIS_URL"])


def queue(app: Flask):
    from rq import Queue

    return Queue(app.config["JOB_QUEUE"], connection=redis_connection(app))


def _resolve(path: str):
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def _run_with_app(app: Flask, path: str, args: tuple) -> None:
    with app.app_context():
        try:
            _resolve(path)(*args)
        except Exception:  # the job records its own failure; keep the thread pool alive
            log.exception("background job %s%r failed", path, args)


def enqueue(path: str, *args, timeout: int = 7200) -> Optional[str]:
    """Run the function at dotted ``path`` with ``args`` in the background; return a job id if queued."""
    app = current_app._get_current_object()
    how = mode(app)
    if how == "redis":
        job = queue(app).enqueue(path, *args, job_timeout=timeout, result_ttl=86400, failure_ttl=86400)
        return job.id
    if how == "inline":
        with app.app_context():  # its own session, as a worker would have
            _resolve(path)(*args)
        return None
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=app.config["JOB_THREADS"], thread_name_prefix="linkage-job")
    _executor.submit(_run_with_app, app, path, args)
    return None


def run_worker(app: Flask, burst: bool = False) -> None:
    """Process queued jobs until stopped (``flask worker``), with the scheduled jobs beside them.

    A SimpleWorker runs each job in its own process: when the worker dies, its job dies with it,
    the run's heartbeat stops, and the run is marked failed instead of finishing unseen — or, for a
    part of a district run, the part is queued again by the reaper (``REAPER`` in ``SCHEDULE``) that every
    worker runs, a burst worker too (and every app server when staff watch the run)."""
    from rq import SimpleWorker

    stop = threading.Event()
    start_schedule(app, only=(REAPER,) if burst else None, stop=stop)
    worker = SimpleWorker([app.config["JOB_QUEUE"]], connection=redis_connection(app))
    try:
        worker.work(burst=burst, with_scheduler=False)
    finally:
        stop.set()


# --- jobs that run on a schedule ------------------------------------------------------------------------
def _reap_interval(config) -> float:
    """Every half of MATCH_STALE_SECONDS: a run whose worker stopped is noticed within one stale period."""
    return max(0.5, float(config["MATCH_STALE_SECONDS"]) / 2)


# Fails runs whose worker stopped and puts lost parts of district runs back in the queue, so a run
# completes though nobody watches it; the row locks of ``reap_stale_runs`` let one process act on each.
REAPER = "linkage.matching.services.reap_and_requeue"

# (dotted path, the configuration key holding its interval in seconds or a function of the
# configuration giving it; 0 or less: never)
SCHEDULE = ((REAPER, _reap_interval),
            ("linkage.shifts.reminders.run", "REMINDER_INTERVAL_SECONDS"),
            ("linkage.needs.escalation.run", "ESCALATION_INTERVAL_SECONDS"),
            ("linkage.shifts.offers.run", "WAITLIST_INTERVAL_SECONDS"),
            ("linkage.community.rights.run", "RETENTION_INTERVAL_SECONDS"),
            ("linkage.forecast.store.run", "FORECAST_INTERVAL_SECONDS"))


def interval(app: Flask, how) -> float:
    """Seconds between two runs of a scheduled job (``how``: its entry's second item)."""
    return float((how(app.config) if callable(how) else app.config.get(how)) or 0)


def _every(app: Flask, path: str, seconds: float, stop: threading.Event) -> None:
    while not stop.wait(seconds):
        _run_with_app(app, path, ())


def start_schedule(app: Flask, only: Optional[tuple[str, ...]] = None,
                   stop: Optional[threading.Event] = None) -> list[threading.Thread]:
    """Run each scheduled job (or ``only`` those) every its interval in a daemon thread of this process
    (``flask worker``; or, without Redis, the web process from its first request). Several processes may
    each run them: the jobs record what they did, so nothing is done twice. Returns the threads; ``stop``
    (by default ``app.extensions["linkage_schedule"]``) is the event that stops them."""
    stop = stop or app.extensions.setdefault("linkage_schedule", threading.Event())
    threads = []
    for path, how in SCHEDULE:
        seconds = interval(app, how)
        if seconds > 0 and (only is None or path in only):
            thread = threading.Thread(target=_every, args=(app, path, seconds, stop), daemon=True,
                                      name=f"linkage-schedule-{path.rsplit('.', 2)[-2]}")
            thread.start()
            threads.append(thread)
    return threads


def schedule_in_process(app: Flask) -> None:
    """Without Redis (thread mode), the web process runs the scheduled jobs, from its first request on (not at
    import: ``flask db upgrade`` and other commands build the app too). Tests (TESTING) start none."""
    if app.config.get("TESTING") or mode(app) != "thread":
        return
    lock = threading.Lock()

    def first_request(sender, **extra):
        with lock:
            if app.extensions.get("linkage_schedule_started") == os.getpid():
                return
            app.extensions["linkage_schedule_started"] = os.getpid()
        start_schedule(app)

    request_started.connect(first_request, app, weak=False)
