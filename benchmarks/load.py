"""A sign-up rush against the real server: gunicorn on loopback, a throw-away PostgreSQL database.

Builds a database on the local PostgreSQL server (schema by ``create_all``, as the tests build it),
with V volunteers (verified, adult, in one community, so the eligibility rule lets them sign up) and
S shifts of P places spread over D days. Starts gunicorn (``wsgi:app``, the server ``make serve``
runs, with its argon2 cost settings kept) on a free port, logs every volunteer in (reading the CSRF
token from the forms, as a browser does) before the clock starts, then fires the sign-up POSTs from
C concurrent clients: each client is a few volunteers, each volunteer signs up for one shift a day.
Prints sign-ups per second, p50/p95/p99, answers by status, places taken, waitlisted, the shifts
over capacity (counted in the database afterwards: must be 0) and whether the audit chain is still
linear; then times the shift list and a volunteer's home page under the same concurrency, and counts
the SQL statements one sign-up runs (in-process, on the same database). The database is dropped.

    python benchmarks/load.py                                  # 2 sync workers, as `make serve`
    python benchmarks/load.py --workers 4 --threads 4          # gthread workers
    python benchmarks/load.py --volunteers 50 --clients 4      # a small rush
    python benchmarks/load.py --no-rush --profile 50 --sql     # statements and cProfile of sign-ups only
    python benchmarks/load.py --no-rush --cpu 60               # CPU ms per request, in-process

The log-in rate limit (per address, 30 a minute) is raised for this server: every client comes from
127.0.0.1. Nothing else in the server's configuration differs from production defaults.
"""
from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timedelta

import psutil
import requests
import sqlalchemy as sa

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from benchmarks.pages import database, machine  # noqa: E402
from linkage import create_app  # noqa: E402
from linkage.extensions import db  # noqa: E402
from linkage.models import Role  # noqa: E402
from linkage.timeutil import LOCAL_TZ  # noqa: E402
from tests.conftest import PASSWORD  # noqa: E402
from tests.factories import build_world, make_shift, make_user, make_volunteer  # noqa: E402


CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
KEYS = {"SECRET_KEY": "load-secret", "LINKAGE_DATA_KEY": "load-data-key", "LINKAGE_AUDIT_KEY": "load-audit-key"}
HOLDING = ("assigned", "checked_in", "checked_out")


# --- the database -----------------------------------------------------------------------------------

def app_for(url: str, instance: str, **extra):
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": instance, "SECRET_KEY": KEYS["SECRET_KEY"],
                       "DATA_KEY": KEYS["LINKAGE_DATA_KEY"], "AUDIT_KEY": KEYS["LINKAGE_AUDIT_KEY"], **extra})


def build_district(app, args) -> tuple[list[str], list[list[int]], int]:
    """Volunteers and shifts; returns the volunteers' log-ins, the shift ids per day, and a spare shift
    for the statement count. Passwords are hashed with the server's own argon2 settings."""
    with app.app_context():
        db.create_all()
        world = build_world()
        logins = []
        for number in range(args.volunteers + 1):
            user = make_user(f"rush{number:04d}", Role.volunteer, world.c1)
            make_volunteer(world.c1, user=user, name=f"Rush volunteer {number}")
            logins.append(user.username)
        first_day = (datetime.now(LOCAL_TZ) + timedelta(days=2)).replace(hour=7, minute=0, second=0, microsecond=0)
        per_day = -(-args.shifts // args.days)
        days: list[list[int]] = []
        for index in range(args.shifts):
            day, position = divmod(index, per_day)
            start = first_day + timedelta(days=day, minutes=40 * position)
            shift = make_shift(world.c1, start=start, hours=2, slots=((None, args.places),),
                               title=f"Rush shift {index}")
            days.extend([] for _ in range(day + 1 - len(days)))
            days[day].append(shift.id)
        # Two weeks on: the rush's places count neither as an overlap nor towards the weekly limit.
        spare = make_shift(world.c1, start=first_day + timedelta(days=14), slots=((None, args.volunteers + 1),),
                           title="Spare shift").id
        db.session.commit()
        db.engine.dispose()
    return logins, days, spare


# --- the server -------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(url: str, instance: str, workers: int, threads: int):
    port = free_port()
    command = [os.path.join(os.path.dirname(sys.executable), "gunicorn"), "--bind", f"127.0.0.1:{port}",
               "--workers", str(workers), "wsgi:app"]
    if threads > 1:
        command[-1:-1] = ["--worker-class", "gthread", "--threads", str(threads)]
    env = {**os.environ, **KEYS, "DATABASE_URL": url, "LINKAGE_INSTANCE_PATH": instance,
           "LINKAGE_LOGIN_RATE_LIMIT": "100000 per minute"}
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                requests.get(f"{base}/auth/login", timeout=30)
                break
            except requests.RequestException:
                if server.poll() is not None:
                    raise RuntimeError(server.stderr.read().decode()[-2000:])
                time.sleep(0.1)
        yield base, server.pid
    finally:
        server.terminate()
        server.wait(timeout=30)


def log_in(base: str, username: str) -> requests.Session:
    """A browser's session: the log-in form's token, the log-in, and a token for the forms after it."""
    session = requests.Session()
    token = CSRF.search(session.get(f"{base}/auth/login").text).group(1)
    form = {"username": username, "password": PASSWORD, "csrf_token": token}
    answer = session.post(f"{base}/auth/login", data=form, allow_redirects=False)
    if answer.status_code != 302:
        raise RuntimeError(f"log-in as {username} answered {answer.status_code}")
    session.headers["X-CSRFToken"] = CSRF.search(session.get(f"{base}/").text).group(1)
    return session


# --- the rush ---------------------------------------------------------------------------------------

def plan(volunteers: int, days: list[list[int]], clients: int, seed: int) -> list[list[tuple[int, int]]]:
    """Per client, its (volunteer, shift) sign-ups in a random order: each volunteer takes one shift a
    day (no overlap, within the weekly limit), spread evenly over the day's shifts."""
    rng = random.Random(seed)
    work: list[list[tuple[int, int]]] = [[] for _ in range(clients)]
    for volunteer in range(volunteers):
        for day, shifts in enumerate(days):
            work[volunteer % clients].append((volunteer, shifts[(volunteer * 7 + day * 5) % len(shifts)]))
    for jobs in work:
        rng.shuffle(jobs)
    return work


def fire(jobs_per_client: list[list], request) -> tuple[float, list[float], Counter]:
    """Run each client's jobs in its own thread; wall time, latencies (ms) and answers by status."""
    latencies: list[float] = []
    statuses: Counter = Counter()
    lock = threading.Lock()

    def client(jobs):
        mine, seen = [], Counter()
        for job in jobs:
            started = time.perf_counter()
            try:
                status = request(job).status_code
            except requests.RequestException as error:
                status = type(error).__name__
            mine.append((time.perf_counter() - started) * 1000)
            seen[status] += 1
        with lock:
            latencies.extend(mine)
            statuses.update(seen)

    threads = [threading.Thread(target=client, args=(jobs,)) for jobs in jobs_per_client]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, latencies, statuses


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))] if ordered else 0.0


class LockSampler(threading.Thread):
    """Samples pg_stat_activity while the rush runs: how many of the app's connections are running,
    and how many wait, on what (the audit chain's advisory lock, a row lock, the client, I/O ...)."""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        self.counts: Counter = Counter()
        self.samples = 0
        self.stop = threading.Event()

    def run(self):
        query = sa.text("SELECT state, wait_event_type, wait_event FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()")
        with self.engine.connect() as conn:
            while not self.stop.wait(0.02):
                self.samples += 1
                for state, kind, event in conn.execute(query):
                    if state == "active":
                        self.counts[f"{kind}:{event}" if kind else "running"] += 1
                    elif state == "idle in transaction":
                        self.counts["idle in transaction (app working)"] += 1

    def finish(self) -> dict[str, float]:
        self.stop.set()
        self.join()
        self.engine.dispose()
        return {name: count / max(self.samples, 1) for name, count in self.counts.most_common()}


def database_check(url: str) -> dict:
    """Places taken, waitlisted, shifts over capacity, and breaks in the audit chain, read afterwards."""
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        by_status = dict(conn.execute(sa.text(
            "SELECT status, count(*) FROM sign_ups GROUP BY status")).all())
        over = conn.scalar(sa.text(
            "SELECT count(*) FROM shifts s WHERE (SELECT count(*) FROM sign_ups u WHERE u.shift_id = s.id "
            "AND u.status IN :holding) > (SELECT coalesce(sum(count), 0) FROM shift_slots t WHERE t.shift_id = s.id)"
        ).bindparams(sa.bindparam("holding", expanding=True)), {"holding": list(HOLDING)})
        breaks = conn.scalar(sa.text(
            "SELECT count(*) FROM (SELECT prev_hash, lag(hash) OVER (ORDER BY id) AS previous, id, "
            "min(id) OVER () AS first FROM audit_events) e WHERE id <> first AND prev_hash <> previous"))
        events = conn.scalar(sa.text("SELECT count(*) FROM audit_events"))
    engine.dispose()
    return {"by_status": by_status, "over": over, "breaks": breaks, "events": events}


def statements_per_sign_up(url: str, instance: str, logins: list[str], shift_id: int, args) -> list[str]:
    """The SQL statements one sign-up POST runs, in-process on the same database (CSRF off); with
    ``--profile N``, where the server's time goes in N more sign-ups (cProfile, by own time)."""
    app = app_for(url, instance, WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False)
    seen: list[str] = []
    with app.app_context():
        engine = db.engine
    recording = threading.Event()

    @sa.event.listens_for(engine, "before_cursor_execute")
    def count(conn, cursor, statement, parameters, context, executemany):
        if recording.is_set():
            seen.append(" ".join(statement.split())[:150])

    profiler = cProfile.Profile(time.process_time)  # CPU time: waiting for PostgreSQL is not counted
    for number, username in enumerate([logins[-1], *logins[:args.profile]]):
        client = app.test_client()
        client.post("/auth/login", data={"username": username, "password": PASSWORD})
        client.get(f"/shifts/{shift_id}")
        (recording.set if number == 0 else profiler.enable)()
        answer = client.post(f"/shifts/{shift_id}/sign-up")
        (recording.clear if number == 0 else profiler.disable)()
        if answer.status_code != 302:
            print(f"(a sign-up in-process answered {answer.status_code})")
    if args.sql:
        for statement in seen:
            print("   ", statement)
    if args.profile:
        print(f"\nwhere {args.profile} sign-ups spend their CPU time in-process (cProfile, top by own time):")
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(25)
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats("linkage|flask_|wtf|babel", 40)
    with app.app_context():
        db.engine.dispose()
    return seen


def _in_process_log_in(client, username: str) -> None:
    """Log in through the form with its CSRF token, as a browser does; keep a token for later forms."""
    token = CSRF.search(client.get("/auth/login").get_data(as_text=True)).group(1)
    answer = client.post("/auth/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
    if answer.status_code != 302:
        raise RuntimeError(f"log-in as {username} answered {answer.status_code}")
    client.environ_base["HTTP_X_CSRFTOKEN"] = CSRF.search(client.get("/").get_data(as_text=True)).group(1)


def cpu_per_request(url: str, instance: str, logins: list[str], shift_id: int, count: int) -> None:
    """CPU milliseconds of this process (``time.process_time``) per request, in-process through the Flask
    test client on the same database, CSRF on: ``count`` sign-up POSTs (each by another volunteer, on the
    spare shift), then as many GETs of the shift list and of a volunteer's home page; with the
    statements each ran. PostgreSQL's own CPU is not in these figures (it is a separate process)."""
    app = app_for(url, instance, RATELIMIT_ENABLED=False)
    with app.app_context():
        engine = db.engine
    statements = [0]
    sa.event.listen(engine, "before_cursor_execute", lambda *a: statements.__setitem__(0, statements[0] + 1))
    clients = []
    for username in logins[:count]:
        client = app.test_client()
        _in_process_log_in(client, username)
        clients.append(client)
    print(f"\nCPU per request in-process ({count} each; CSRF on; PostgreSQL's CPU not included):")
    print("| request | CPU ms mean | CPU ms median | wall ms median | statements |")
    print("|---|---:|---:|---:|---:|")
    for name, method, path in (("sign-up POST", "post", f"/shifts/{shift_id}/sign-up"),
                               ("GET shift list", "get", "/shifts/"), ("GET volunteer's home", "get", "/")):
        cpu, wall, counts = [], [], []
        for client in clients:
            statements[0] = 0
            started, clock = time.process_time(), time.perf_counter()
            answer = getattr(client, method)(path)
            cpu.append((time.process_time() - started) * 1000)
            wall.append((time.perf_counter() - clock) * 1000)
            counts.append(statements[0])
            if answer.status_code not in (200, 302):
                print(f"({name} answered {answer.status_code})")
        print(f"| {name} | {sum(cpu) / len(cpu):.1f} | {percentile(cpu, 0.5):.1f} | {percentile(wall, 0.5):.1f} | "
              f"{percentile(counts, 0.5):.0f} |")
    with app.app_context():
        db.engine.dispose()


# --- the report -------------------------------------------------------------------------------------

def row(name: str, count: int, seconds: float, latencies: list[float], statuses: Counter) -> str:
    return (f"| {name} | {count} | {count / seconds:.1f} | {percentile(latencies, 0.5):.0f} | "
            f"{percentile(latencies, 0.95):.0f} | {percentile(latencies, 0.99):.0f} | "
            f"{', '.join(f'{k}: {v}' for k, v in sorted(statuses.items(), key=str))} |")


def cpu_seconds(pid: int) -> tuple[float, float]:
    """CPU time of the server (master and workers) and of every PostgreSQL process on this machine."""
    server = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
    database = [p for p in psutil.process_iter(["name"]) if (p.info["name"] or "").startswith("postgres")]
    return _cpu(server), _cpu(database)


def _cpu(processes) -> float:
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
            total += times.user + times.system
        except psutil.Error:
            pass
    return total


def rush(args, url: str, instance: str, logins: list[str], days: list[list[int]]) -> None:
    with gunicorn(url, instance, args.workers, args.threads) as (base, pid):
        started = time.perf_counter()
        with ThreadPoolExecutor(args.clients) as pool:
            sessions = list(pool.map(lambda name: log_in(base, name), logins[:args.volunteers]))
        print(f"logged in {len(sessions)} volunteers in {time.perf_counter() - started:.1f} s (argon2 as served)")
        work = plan(args.volunteers, days, args.clients, args.seed)
        total = sum(len(jobs) for jobs in work)
        sampler = LockSampler(url)
        sampler.start()
        cpu_before, client_before = cpu_seconds(pid), time.process_time()
        seconds, latencies, statuses = fire(work, lambda job: sessions[job[0]].post(
            f"{base}/shifts/{job[1]}/sign-up", allow_redirects=False))
        waits = sampler.finish()
        server_cpu = [after - before for after, before in zip(cpu_seconds(pid), cpu_before)]
        client_cpu = time.process_time() - client_before
        rng = random.Random(args.seed)
        pages = {}
        for name, path in (("shift list", "/shifts/"), ("volunteer's home", "/")):
            jobs = [[(rng.randrange(args.volunteers), path) for _ in range(args.page_requests // args.clients)]
                    for _ in range(args.clients)]
            pages[name] = (sum(map(len, jobs)), *fire(jobs, lambda job: sessions[job[0]].get(
                f"{base}{job[1]}", allow_redirects=False)))
    print()
    print("| request | count | per second | p50 ms | p95 ms | p99 ms | answers |")
    print("|---|---|---|---|---|---|---|")
    print(row("sign-up POST", total, seconds, latencies, statuses))
    for name, (count, elapsed, times, answers) in pages.items():
        print(row(f"GET {name}", count, elapsed, times, answers))
    check = database_check(url)
    print()
    print(f"places taken: {sum(check['by_status'].get(s, 0) for s in HOLDING)}, "
          f"waitlisted: {check['by_status'].get('waitlisted', 0)}, other: "
          f"{ {k: v for k, v in check['by_status'].items() if k not in HOLDING + ('waitlisted',)} }")
    print(f"shifts over capacity: {check['over']} (must be 0); audit events: {check['events']}, "
          f"breaks in the chain: {check['breaks']} (must be 0)")
    print(f"CPU during the sign-ups: gunicorn {server_cpu[0]:.1f} s ({1000 * server_cpu[0] / total:.0f} ms a "
          f"sign-up), PostgreSQL {server_cpu[1]:.1f} s ({1000 * server_cpu[1] / total:.0f} ms), "
          f"this load generator {client_cpu:.1f} s, "
          f"of {seconds:.1f} s x {os.cpu_count()} cores")
    print("database connections during the rush, on average (pg_stat_activity every 20 ms):")
    for name, mean in waits.items():
        print(f"    {mean:5.2f}  {name}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--volunteers", type=int, default=250)
    parser.add_argument("--shifts", type=int, default=95)
    parser.add_argument("--places", type=int, default=10, help="places per shift")
    parser.add_argument("--days", type=int, default=5, help="each volunteer signs up for one shift a day")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=1, help="threads per worker (> 1: gthread workers)")
    parser.add_argument("--page-requests", type=int, default=400, help="requests per page timed")
    parser.add_argument("--no-rush", action="store_true", help="only count (and profile) in-process")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sql", action="store_true", help="print the statements of one sign-up")
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="profile N sign-ups in-process")
    parser.add_argument("--cpu", type=int, default=0, metavar="N",
                        help="CPU ms per sign-up, shift list and home page in-process, N requests each")
    args = parser.parse_args(argv)
    print(f"# Sign-up rush: {machine()}")
    print(f"{args.volunteers} volunteers, {args.shifts} shifts of {args.places} places over {args.days} days, "
          f"{args.clients} clients; gunicorn {args.workers} workers x {args.threads} threads")
    with tempfile.TemporaryDirectory(prefix="linkage-load-") as instance, database(use_pg=True) as url:
        logins, days, spare = build_district(app_for(url, instance), args)
        if not args.no_rush:
            rush(args, url, instance, logins, days)
        statements = statements_per_sign_up(url, instance, logins, spare, args)
        if args.cpu:
            cpu_per_request(url, instance, logins[args.profile:], spare, min(args.cpu, args.volunteers - args.profile))
        print(f"SQL statements in one sign-up POST (uncontended): {len(statements)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
