"""Time reading personal data that is encrypted at rest.

Builds a throw-away SQLite database, stores N volunteers (birth date encrypted) and N residents
(ID number encrypted; birth date, gender and masked number read from it), then prints in µs per
row (median of several rounds):

- decrypting one birth date (the column type's result processing alone);
- reading N volunteers rows with the birth date decrypted and without (the difference is what the
  encryption costs a list or the match problem builder), and loading them through the model;
- a resident's birth date, gender and masked number (each decrypts the ID number once).

    python benchmarks/personal_data.py            # N = 2000
    python benchmarks/personal_data.py --n 10000
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta

import sqlalchemy as sa

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from linkage import create_app  # noqa: E402
from linkage.extensions import db  # noqa: E402
from linkage.identifiers import resident_id_check_char  # noqa: E402
from linkage.models import Region, RegionLevel, Resident, Volunteer, VolunteerStatus  # noqa: E402
from linkage.models.types import EncryptedDate  # noqa: E402
from linkage.security import blind_index, encrypt  # noqa: E402

ROUNDS = 7


def _median_us(function, n: int) -> float:
    """Median over ROUNDS of the time ``function`` takes, per row, in µs."""
    times = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) / n * 1e6)
    return statistics.median(times)


def _people(n: int) -> None:
    region = Region(name="社区", name_en="Community", level=RegionLevel.community, code="C1", path="/1/",
                    latitude=31.2, longitude=121.4)
    db.session.add(region)
    db.session.flush()
    born = [date(1940, 1, 1) + timedelta(days=17 * i % 25000) for i in range(n)]
    db.session.execute(sa.insert(Volunteer), [
        {"name": f"V{i}", "region_id": region.id, "birth_date": day, "status": VolunteerStatus.active,
         "max_travel_km": 3.0, "weekly_minutes_limit": 600} for i, day in enumerate(born)])
    numbers = []
    for i, day in enumerate(born):
        first17 = f"310101{day:%Y%m%d}{i % 1000:03d}"
        numbers.append(first17 + resident_id_check_char(first17))
    db.session.execute(sa.insert(Resident), [
        {"name": f"R{i}", "region_id": region.id, "address": "", "id_number_encrypted": encrypt(number),
         "id_number_index": blind_index(number)} for i, number in enumerate(numbers)])
    db.session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    n = parser.parse_args().n
    with tempfile.TemporaryDirectory() as folder:
        app = create_app({"TESTING": True, "SECRET_KEY": "bench", "DATA_KEY": "bench-data-key",
                          "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.sqlite3",
                          "INSTANCE_PATH": folder})
        with app.app_context():
            db.create_all()
            _people(n)
            blobs = db.session.execute(sa.text("SELECT birth_date_encrypted FROM volunteers")).scalars().all()
            column_type = EncryptedDate()
            decrypt_only = _median_us(lambda: [column_type.process_result_value(b, None) for b in blobs], n)

            def rows(decrypting: bool):
                columns = [c if decrypting or not isinstance(c.type, EncryptedDate)
                           else sa.type_coerce(c, sa.LargeBinary).label(c.name)
                           for c in Volunteer.__table__.c]
                return db.session.execute(sa.select(*columns)).all()

            def load():
                db.session.expunge_all()
                return db.session.scalars(sa.select(Volunteer)).all()
            loaded = _median_us(load, n)
            decrypted, raw = _median_us(lambda: rows(True), n), _median_us(lambda: rows(False), n)
            db.session.expunge_all()
            residents = db.session.scalars(sa.select(Resident)).all()
            facts = _median_us(lambda: [(r.birth_date, r.gender, r.masked_id_number) for r in residents], n)
            assert all(v.birth_date for v in db.session.scalars(sa.select(Volunteer)))
            db.engine.dispose()
    print(f"N = {n}, median of {ROUNDS} rounds, µs per row")
    print(f"decrypt one birth date: {decrypt_only:.1f}")
    print(f"read a volunteers row: {decrypted:.1f} with its birth date decrypted, {raw:.1f} without")
    print(f"load a volunteer through the model (birth date decrypted): {loaded:.1f}")
    print(f"a resident's birth date + gender + masked number (3 decryptions of the ID number): {facts:.1f}")


if __name__ == "__main__":
    main()
