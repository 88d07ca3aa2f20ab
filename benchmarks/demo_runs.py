"""Match runs on the demo district, as staff start them: every street and community, every week with
open shifts, and one award and one case run for the district.

Seeds the demo (``flask seed-demo``) into a throw-away SQLite database, builds each run's problem
exactly as the web app does (eligibility, kept places, conflicts), solves it with the app's solver
settings, solves first come, first served on the same problem, and prints a markdown table:
area | week | volunteers | shifts | kept places | conflicts | status | objective | first come | seconds.

    python benchmarks/demo_runs.py                 # time limit 10 s per run
    python benchmarks/demo_runs.py --time-limit 3 --scale 2
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from datetime import datetime, timedelta
from datetime import time as clock

import sqlalchemy as sa

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from linkage import create_app  # noqa: E402
from linkage.extensions import db  # noqa: E402
from linkage.matching import problems, services  # noqa: E402
from linkage.models import MatchKind, Region, RegionLevel, Shift, ShiftStatus  # noqa: E402
from linkage.seed import seed_demo  # noqa: E402
from linkage.timeutil import LOCAL_TZ, now  # noqa: E402


def mondays() -> list[datetime]:
    """The local Mondays of the weeks holding open shifts that have not started."""
    days = {s.astimezone(LOCAL_TZ).date() for s in db.session.scalars(sa.select(Shift.start).where(
        Shift.status.in_((ShiftStatus.open, ShiftStatus.staffed)), Shift.start > now()))}
    return sorted({datetime.combine(d - timedelta(days=d.weekday()), clock.min, LOCAL_TZ) for d in days})


def solve(kind: MatchKind, problem: dict, time_limit: float) -> tuple[dict, dict, float]:
    started = time.monotonic()
    result, baseline = services._solve(kind, problem, time_limit, progress=None)
    return result, baseline, time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--scale", type=int, default=1)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="linkage-demo-runs-")
    try:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/demo.sqlite3", "SECRET_KEY": "bench",
                          "DATA_KEY": "bench", "INSTANCE_PATH": folder, "BABEL_DEFAULT_LOCALE": "en"})
        with app.app_context(), app.test_request_context("/"):
            db.create_all()
            seed_demo(scale=args.scale)
            db.session.commit()
            rows = []
            areas = db.session.scalars(sa.select(Region).where(
                Region.level.in_((RegionLevel.street, RegionLevel.community))).order_by(Region.level, Region.code))
            areas = list(areas)
            for monday in mondays():
                for area in areas:
                    problem, inputs = problems.build_shift_problem(area, monday, monday + timedelta(days=7))
                    if not problem["shifts"]:
                        continue
                    result, baseline, seconds = solve(MatchKind.shifts, problem, args.time_limit)
                    rows.append((area.name_en or area.name, monday.date().isoformat(), len(problem["volunteers"]),
                                 len(problem["shifts"]), len(inputs["kept"]), len(inputs["conflicts"]),
                                 result["status"], result["objective"], baseline["objective"], seconds))
            district = db.session.scalar(sa.select(Region).where(Region.level == RegionLevel.district))
            for kind, build in ((MatchKind.award, problems.build_award_problem),
                                (MatchKind.cases, problems.build_case_problem)):
                problem, _inputs = build(district)
                result, baseline, seconds = solve(kind, problem, args.time_limit)
                size = (len(problem.get("bids", problem.get("needs", []))),
                        len(problem.get("projects", problem.get("workers", []))))
                rows.append((f"{district.name_en or district.name} ({kind.value})", "—", size[0], size[1], "—", "—",
                             result["status"], result["objective"], baseline["objective"], seconds))
        print(f"Demo district at scale {args.scale}, time limit {args.time_limit:g} s, {os.cpu_count()} cores")
        print("(award: bids × projects; cases: needs × social workers)\n")
        print("| area | week | volunteers | shifts | kept places | conflicts | status | objective | first come | s |")
        print("|---|---|---:|---:|---:|---:|---|---:|---:|---:|")
        for row in rows:
            print("| " + " | ".join(str(v) if not isinstance(v, float) else f"{v:.2f}" for v in row) + " |")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
