"""Time importing residents, volunteers and needs from a spreadsheet.

Generates a fresh file of N rows of each kind (valid ID numbers with the right check characters; needs of
residents registered first), as .xlsx and as .csv, and on a throw-away SQLite database (or ``--database``
URL, emptied first) times:

- the preview (read and check every row, nothing written);
- the import (every row through the form's service — ``register_resident``, ``register_by_staff``,
  ``submit_need`` — in one transaction, one commit);
- the plain approach at the same size: one call of the same service and one commit per row.

    python -m benchmarks.imports               # N = 5000, every kind
    python -m benchmarks.imports --kinds needs --n 2000
    python -m benchmarks.imports --n 1000 --database postgresql://postgres@127.0.0.1/linkage_bench
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import date, timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from linkage import create_app, sheets  # noqa: E402
from linkage.extensions import db  # noqa: E402
from linkage.identifiers import resident_id_check_char  # noqa: E402
from linkage.models import Region, RegionLevel, Role, User  # noqa: E402

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "秀英桂兰建华志强丽娟国庆明芳淑珍玉兰海燕"


def resident_rows(n: int, codes: list[str], seed: int, serial_from: int = 0) -> list[list[str]]:
    """N residents' rows; ID numbers unique (birth day and sequence number differ), check characters right."""
    rng = random.Random(seed)
    rows = []
    for i in range(serial_from, serial_from + n):
        born = date(1930, 1, 1) + timedelta(days=i // 999 * 7 + rng.randrange(7))
        first17 = f"310101{born:%Y%m%d}{i % 999 + 1:03d}"
        rows.append([rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, 2)), first17 + resident_id_check_char(first17),
                     codes[i % len(codes)], f"{i % 40 + 1}号楼{i % 6 + 1}单元{i % 30 + 101}室",
                     f"13{rng.randrange(10**9):09d}", "独居老人" if i % 7 == 0 else "", "", "是"])
    return rows


def _region(name, level, code, parent=None) -> Region:
    region = Region(name=name, name_en="", level=level, code=code, parent=parent, latitude=31.2, longitude=121.4)
    db.session.add(region)
    db.session.flush()
    region.set_path()
    return region


def _world():
    """A street with a community (and its grid) and another community; community staff of the first."""
    street = _region("南京东路街道", RegionLevel.street, "310101001")
    community = _region("梅园社区", RegionLevel.community, "310101001001", street)
    grid = _region("梅园一网格", RegionLevel.grid, "310101001001001", community)
    _region("松林社区", RegionLevel.community, "310101001002", street)
    staff = User(username="bench", display_name="Bench", role=Role.community_staff, region=community,
                 password_hash="-")
    db.session.add(staff)
    db.session.commit()
    return staff, [community.code, grid.name]


def volunteer_rows(n: int, codes: list[str], seed: int) -> list[list[str]]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        born = date(1960, 1, 1) + timedelta(days=i // 999 * 7 + rng.randrange(7))
        first17 = f"310101{born:%Y%m%d}{i % 999 + 1:03d}"
        rows.append([rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, 2)), first17 + resident_id_check_char(first17),
                     codes[0], f"13{rng.randrange(10**9):09d}", "", str(rng.randrange(4, 20))])
    return rows


def need_rows(n: int, numbers: list[str], category: str, seed: int) -> list[list[str]]:
    rng = random.Random(seed)
    return [[numbers[i % len(numbers)], category, f"上门探访 {i}", "", str(rng.randrange(1, 5)), "2031-03-01 09:00",
             "2031-03-01 11:00", "每周", "是"] for i in range(n)]


def _empty() -> None:
    db.session.remove()
    db.drop_all()
    db.create_all()


def _residents_for_needs(staff, n: int) -> list[str]:
    """N residents registered through the service (the people the needs are for); their ID numbers."""
    from linkage.community.services import register_resident

    numbers = [row[1] for row in resident_rows(n, [staff.region.code], seed=7, serial_from=50_000)]
    for i, number in enumerate(numbers):
        register_resident(actor=staff, name=f"居民{i}", id_number=number, region=staff.region, address="1号楼",
                          consent=True)
    db.session.commit()
    return numbers


def _category():
    from linkage.models import Category

    sector = Category(code="elderly", name="养老服务", name_en="Elderly care", level=1)
    category = Category(code="elderly.visits", name="上门探访", name_en="Home visits", level=2, parent=sector)
    db.session.add_all([sector, category])
    db.session.commit()
    return category.code


def _measure_kind(app, n: int, file_kind: str, seed: int, what: str) -> dict:
    """Preview, import and one-call-and-commit-per-row of volunteers or needs."""
    from linkage import timeutil
    from linkage.imports import needs, services, volunteers
    from linkage.needs.services import submit_need
    from linkage.models import Resident
    from linkage.volunteers.services import register_by_staff

    kind = volunteers.KIND if what == "volunteers" else needs.KIND

    def prepare():
        _empty()
        staff, codes = _world()
        if what == "volunteers":
            return staff, volunteer_rows(n, codes, seed)
        numbers = _residents_for_needs(staff, 200)
        return staff, need_rows(n, numbers, _category(), seed)

    with app.app_context():
        staff, rows = prepare()
        headers = services.headers("zh_CN", kind)
        body = sheets.to_csv(headers, rows) if file_kind == "csv" else sheets.to_xlsx(headers, rows)
        name = f"{what}.{file_kind}"
        started = time.perf_counter()
        checked = services.preview(staff, name, body, kind)
        preview_s = time.perf_counter() - started
        assert checked.ok, checked.problems[:5]
        started = time.perf_counter()
        services.run_import(staff, name, body, actor=staff, kind=kind)
        db.session.commit()
        import_s = time.perf_counter() - started

        staff, rows = prepare()
        checked = services.preview(staff, name, body, kind)
        started = time.perf_counter()
        for row in checked.rows:
            if what == "volunteers":
                register_by_staff(row["data"], actor=staff, today=timeutil.today())
            else:
                arguments = {k: v for k, v in row.items() if k not in ("row", "resident_id")}
                submit_need(db.session.get(Resident, row["resident_id"]), actor=staff, consent=True, imported=True,
                            **arguments)
            db.session.commit()
        plain_s = time.perf_counter() - started
    return {"what": what, "kind": file_kind, "n": n, "preview": preview_s, "import": import_s, "plain": plain_s}


def _measure(app, n: int, kind: str, seed: int) -> dict:
    from linkage.community.services import register_resident
    from linkage.imports import services

    with app.app_context():
        _empty()
        staff, codes = _world()
        rows = resident_rows(n, codes, seed)
        headers = services.headers("zh_CN")
        body = sheets.to_csv(headers, rows) if kind == "csv" else sheets.to_xlsx(headers, rows)
        name = f"residents.{kind}"
        started = time.perf_counter()
        checked = services.preview(staff, name, body)
        preview_s = time.perf_counter() - started
        assert checked.ok, checked.problems[:5]
        started = time.perf_counter()
        services.import_residents(staff, name, body, actor=staff)
        db.session.commit()
        import_s = time.perf_counter() - started

        _empty()
        staff, codes = _world()
        checked = services.preview(staff, name, body)
        started = time.perf_counter()
        for row in checked.rows:
            register_resident(actor=staff, **{k: v for k, v in row.items() if k != "row"})
            db.session.commit()
        plain_s = time.perf_counter() - started
    return {"what": "residents", "kind": kind, "n": n, "preview": preview_s, "import": import_s, "plain": plain_s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database", default="")
    parser.add_argument("--kinds", default="residents,volunteers,needs")
    options = parser.parse_args()
    kinds = [k.strip() for k in options.kinds.split(",") if k.strip()]
    with tempfile.TemporaryDirectory() as folder:
        url = options.database or f"sqlite:///{folder}/bench.sqlite3"
        app = create_app({"TESTING": True, "SECRET_KEY": "bench", "DATA_KEY": "bench-data-key",
                          "AUDIT_KEY": "bench-audit-key", "SQLALCHEMY_DATABASE_URI": url,
                          "INSTANCE_PATH": folder})
        results = []
        for what in kinds:
            for kind in ("xlsx", "csv"):
                results.append(_measure(app, options.n, kind, options.seed) if what == "residents"
                               else _measure_kind(app, options.n, kind, options.seed, what))
    print(f"Importing from spreadsheets ({url.split(':')[0]}, {options.n} rows, one transaction against one commit "
          f"a row)")
    print(f"{'what':<11}{'file':<6}{'rows':>7}{'preview s':>11}{'rows/s':>9}{'import s':>10}{'rows/s':>9}"
          f"{'plain s':>9}{'rows/s':>9}{'plain/import':>14}")
    for r in results:
        print(f"{r['what']:<11}{r['kind']:<6}{r['n']:>7}{r['preview']:>11.2f}{r['n'] / r['preview']:>9.0f}{r['import']:>10.2f}"
              f"{r['n'] / r['import']:>9.0f}{r['plain']:>9.2f}{r['n'] / r['plain']:>9.0f}"
              f"{r['plain'] / r['import']:>14.2f}")


if __name__ == "__main__":
    main()
