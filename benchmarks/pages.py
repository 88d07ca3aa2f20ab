"""Time the main pages of the demo district, as each demo role sees them.

Builds a throw-away database (SQLite in a temporary folder, or with --pg a throw-away database on
the local PostgreSQL server), seeds the demo district (``flask seed-demo``) at each scale, signs in
as every demo account and requests each of its list pages (the navigation's entries, home and
notifications) and the first detail page each list links to. Prints, per scale, a markdown table:
page | role | median ms | p95 ms | SQL statements (per request), after a warm-up.

    python benchmarks/pages.py                  # SQLite, scales 1 and 10, 30 requests per page
    python benchmarks/pages.py --pg --scales 1  # PostgreSQL on 127.0.0.1:5432 (user postgres)
    python benchmarks/pages.py --scales 10 --only dashboards.  # the dashboards alone, demo ×10
"""
from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager

import sqlalchemy as sa
from flask import url_for

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from linkage import create_app  # noqa: E402
from linkage.extensions import db  # noqa: E402
from linkage.main.navigation import NAVIGATION  # noqa: E402
from linkage.models import Role, User  # noqa: E402
from linkage.seed import DEMO_PASSWORD, seed_demo  # noqa: E402

PG_SERVER = os.environ.get("LINKAGE_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
# The pages this benchmark expects to find; those missing from the app are listed, not timed.
EXPECTED = ["main.home", "main.notifications", "community.needs", "community.residents", "needs.mine",
            "organizations.index", "organizations.mine", "projects.index", "shifts.index",
            "volunteers.my_shifts", "volunteers.hours", "volunteers.profile", "matching.index",
            "community.accounts", "admin.users", "admin.audit", "dashboards.index"]
HREF = re.compile(r'href="(/[^"?#]*)"')


def machine() -> str:
    model = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    load = ", load average %.1f %.1f %.1f" % os.getloadavg() if hasattr(os, "getloadavg") else ""
    return f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}{load}"


@contextmanager
def database(use_pg: bool):
    """Yield the URL of an empty throw-away database; remove it afterwards."""
    if use_pg:
        name = f"linkage_bench_{uuid.uuid4().hex[:10]}"
        admin = sa.create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            yield f"{PG_SERVER}/{name}"
        finally:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.dispose()
    else:
        folder = tempfile.mkdtemp(prefix="linkage-bench-")
        try:
            yield f"sqlite:///{os.path.join(folder, 'bench.sqlite3')}"
        finally:
            shutil.rmtree(folder, ignore_errors=True)


class Counter:
    """SQL statements run on the engine while ``active``."""

    def __init__(self):
        self.active, self.count = False, 0

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        if self.active:
            self.count += 1


def pages_for(app, role: Role) -> list[str]:
    """Home, notifications and the navigation's entries for ``role`` that exist in this app."""
    endpoints = ["main.home", "main.notifications"]
    for _menu, endpoint, _label, roles in NAVIGATION:
        admin_page = role == Role.admin and endpoint.startswith("admin.")
        if endpoint in app.view_functions and (role in roles or admin_page):
            endpoints.append(endpoint)
    return endpoints


def first_detail_link(app, html: str, seen: set[str]):
    """The first link on a list page to a detail page (an endpoint named ``*detail*`` taking an id)."""
    adapter = app.url_map.bind("localhost")
    for path in HREF.findall(html):
        try:
            endpoint, args = adapter.match(path, method="GET")
        except Exception:  # not a route, or not a GET route
            continue
        if args and "detail" in endpoint and endpoint not in seen:
            return endpoint, path
    return None


def time_page(client, url: str, counter: Counter, requests: int, warmup: int):
    status = None
    for _ in range(warmup):
        status = client.get(url).status_code
    times, statements = [], []
    for _ in range(requests):
        counter.count, counter.active = 0, True
        started = time.perf_counter()
        response = client.get(url)
        elapsed = (time.perf_counter() - started) * 1000
        counter.active = False
        status = response.status_code
        times.append(elapsed)
        statements.append(counter.count)
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * len(ordered) + 0.5)) - 1)]
    return status, statistics.median(times), p95, int(statistics.median(statements))


def run_scale(scale: int, use_pg: bool, requests: int, warmup: int, seed: int, only: str = "") -> None:
    with database(use_pg) as url:
        instance = tempfile.mkdtemp(prefix="linkage-bench-instance-")
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": instance, "SECRET_KEY": "bench",
                          "DATA_KEY": "bench-data-key", "WTF_CSRF_ENABLED": False})
        try:
            with app.app_context():
                db.create_all()
                started = time.perf_counter()
                _created, logins = seed_demo(scale=scale, random_seed=seed)
                db.session.commit()
                seeded = time.perf_counter() - started
                engine = db.engine
                version = engine.dialect.name + " " + (
                    sqlite3.sqlite_version if engine.dialect.name == "sqlite"
                    else db.session.scalar(sa.text("SHOW server_version")))
                roles = {u.username: u.role for u in db.session.scalars(
                    sa.select(User).where(User.username.in_([name for _, name in logins])))}
                db.session.remove()
            counter = Counter()
            sa.event.listen(engine, "before_cursor_execute", counter)
            print(f"\n## Scale {scale} on {version}: seeded in {seeded:.1f} s "
                  f"({500 * scale} residents, {300 * scale} needs, {800 * scale} volunteers)\n")
            missing = [e for e in EXPECTED if e not in app.view_functions and e.startswith(only)]
            if missing:
                print(f"Not built yet (skipped): {', '.join(missing)}\n")
            print("| page | role | median ms | p95 ms | SQL statements |")
            print("|---|---|---:|---:|---:|")
            problems = []
            for label, username in logins:
                client = app.test_client()  # requests run outside any app context: one session each
                response = client.post("/auth/login", data={"username": username, "password": DEMO_PASSWORD})
                if response.status_code != 302:
                    problems.append(f"log-in as {username} answered {response.status_code}")
                    continue
                seen: set[str] = set()
                for endpoint in pages_for(app, roles[username]):
                    if only and not endpoint.startswith(only):
                        continue
                    with app.test_request_context():
                        url_path = url_for(endpoint)
                    seen.add(endpoint)
                    targets = [(endpoint, url_path)]
                    page = client.get(url_path)
                    if page.status_code == 200:
                        detail = first_detail_link(app, page.get_data(as_text=True), seen)
                        if detail is not None:
                            seen.add(detail[0])
                            targets.append(detail)
                    for name, path in targets:
                        status, median, p95, statements = time_page(client, path, counter, requests, warmup)
                        note = "" if status == 200 else f" (HTTP {status})"
                        print(f"| {name}{note} | {label} | {median:.1f} | {p95:.1f} | {statements} |")
                        if status >= 500:
                            problems.append(f"{name} as {username}: HTTP {status}")
            for problem in problems:
                print(f"\n- {problem}")
            sa.event.remove(engine, "before_cursor_execute", counter)
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
            shutil.rmtree(instance, ignore_errors=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", action="store_true",
                        help="use a throw-away PostgreSQL database instead of SQLite")
    parser.add_argument("--scales", default="1,10", help="comma-separated seed scales (default 1,10)")
    parser.add_argument("--requests", type=int, default=30, help="timed requests per page (default 30)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests per page first (default 3)")
    parser.add_argument("--seed", type=int, default=2026, help="random seed of the demo district")
    parser.add_argument("--only", default="", help="time only the pages whose endpoint starts with this "
                                                   "(e.g. dashboards.)")
    args = parser.parse_args(argv)
    print("# Page benchmark (demo district)\n")
    print(f"Machine: {machine()}  ")
    where = f"PostgreSQL ({PG_SERVER.split('@')[-1]})" if args.pg else "SQLite (temporary file)"
    print(f"Database: {where}; {args.requests} requests per page after {args.warmup} warm-up requests, "
          f"Flask test client, one request at a time.")

    for scale in (int(s) for s in args.scales.split(",") if s.strip()):
        run_scale(scale, args.pg, args.requests, args.warmup, args.seed, args.only)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
