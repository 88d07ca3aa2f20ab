"""Time importing residents from a spreadsheet.

Generates a fresh file of N residents (valid ID numbers with the right check characters, in two
communities and a grid), as .xlsx and as .csv, and on a throw-away SQLite database (or ``--database``
URL, emptied first) times:

- the preview (read and check every row, nothing written);
- the import (every row through ``register_resident`` in one transaction, one commit);
- the plain approach at the same size: one ``register_resident`` call and one commit per row.

    python -m benchmarks.imports               # N = 5000
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


def _empty() -> None:
    db.session.remove()
    db.drop_all()
    db.create_all()


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
    return {"kind": kind, "n": n, "preview": preview_s, "import": import_s, "plain": plain_s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database", default="")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = options.database or f"sqlite:///{folder}/bench.sqlite3"
        app = create_app({"TESTING": True, "SECRET_KEY": "bench", "DATA_KEY": "bench-data-key",
                          "AUDIT_KEY": "bench-audit-key", "SQLALCHEMY_DATABASE_URI": url,
                          "INSTANCE_PATH": folder})
        results = [_measure(app, options.n, kind, options.seed) for kind in ("xlsx", "csv")]
    print(f"Importing residents ({url.split(':')[0]}, {options.n} rows, one transaction against one commit a row)")
    print(f"{'file':<6}{'rows':>7}{'preview s':>11}{'rows/s':>9}{'import s':>10}{'rows/s':>9}"
          f"{'plain s':>9}{'rows/s':>9}{'plain/import':>14}")
    for r in results:
        print(f"{r['kind']:<6}{r['n']:>7}{r['preview']:>11.2f}{r['n'] / r['preview']:>9.0f}{r['import']:>10.2f}"
              f"{r['n'] / r['import']:>9.0f}{r['plain']:>9.2f}{r['n'] / r['plain']:>9.0f}"
              f"{r['plain'] / r['import']:>14.2f}")


if __name__ == "__main__":
    main()
