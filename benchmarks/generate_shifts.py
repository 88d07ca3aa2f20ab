"""Generate a realistic volunteer shift assignment problem (contract JSON, docs/contract.md §1).

A week starting Monday 2026-12-07 in Asia/Shanghai, in a district of Shanghai. The area grows
with the number of volunteers (constant density: a district of 30,000 volunteers is about 12 km
across; a street of 3,000 about 4 km; a community of 300 about 1.2 km). Volunteers cluster around
their community; most are office workers free on weekday evenings and weekends, some are retirees
free in the daytime, some students free at weekends. Skills are long-tailed, urgent needs rare,
people ask for a few nearby shifts and some keep visiting the same residents.

    python benchmarks/generate_shifts.py --volunteers 300 --shifts 40 --seed 1 [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
from datetime import datetime, timedelta, timezone

TZ = timezone(timedelta(hours=8))
WEEK_START = datetime(2026, 12, 7, tzinfo=TZ)  # a Monday
CENTER = (31.23, 121.47)
KM_PER_DEG_LAT = 111.195

SPECIAL_SKILLS = [  # (skill, share of volunteers holding it, weight among skilled slots)
    ("elder_care", 0.14, 0.30),
    ("tutoring", 0.09, 0.18),
    ("first_aid", 0.08, 0.16),
    ("driving", 0.06, 0.12),
    ("psychological_support", 0.035, 0.10),
    ("sign_language", 0.02, 0.07),
    ("legal", 0.015, 0.07),
]


def _iso(dt: datetime) -> str:
    return dt.isoformat(timespec="seconds")


def _at(day: int, minutes: int) -> datetime:
    return WEEK_START + timedelta(days=day, minutes=minutes)


def _offset(rng: random.Random, center: tuple[float, float], sigma_km: float) -> list[float]:
    lat = center[0] + rng.gauss(0.0, sigma_km) / KM_PER_DEG_LAT
    lon = center[1] + rng.gauss(0.0, sigma_km) / (KM_PER_DEG_LAT * math.cos(math.radians(center[0])))
    return [round(lat, 6), round(lon, 6)]


def _weighted(rng: random.Random, items, weights):
    return rng.choices(items, weights=weights, k=1)[0]


def _availability(rng: random.Random, kind: str) -> list[tuple[int, int, int]]:
    """Windows as (day, start minute, end minute); sometimes split into touching halves."""
    windows: list[tuple[int, int, int]] = []
    activity = _weighted(rng, ["away", "occasional", "regular", "keen"], [0.5, 0.3, 0.15, 0.05])
    if activity == "away":  # registered, but not free this week
        return windows
    n_extra = {"occasional": 0, "regular": 1, "keen": 3}[activity]
    if kind == "worker":
        days = rng.sample(range(5), 1 + min(n_extra, 3))
        for d in days:
            windows.append((d, rng.choice([1050, 1080, 1110, 1140]), rng.choice([1230, 1260, 1290, 1320])))
        if rng.random() < 0.5 + 0.15 * n_extra:
            d = rng.choice([5, 6])
            if rng.random() < 0.5:
                windows.append((d, 540, 720))
                windows.append((d, 720, rng.choice([960, 1020, 1080])))  # touching: merged
            else:
                a, b = rng.choice([(480, 720), (540, 720), (540, 1020), (810, 1080), (840, 1020)])
                windows.append((d, a, b))
    elif kind == "retiree":
        days = rng.sample(range(5), 1 + min(n_extra + rng.randint(0, 1), 4))
        for d in days:
            part = _weighted(rng, ["morning", "afternoon", "day"], [0.45, 0.25, 0.30])
            if part == "morning":
                windows.append((d, rng.choice([450, 480, 510]), rng.choice([690, 720])))
            elif part == "afternoon":
                windows.append((d, rng.choice([810, 840]), rng.choice([1020, 1050])))
            else:
                windows.append((d, 480, 720))
                windows.append((d, 720, 1050))
        if rng.random() < 0.2:
            windows.append((rng.choice([5, 6]), 540, 690))
    else:  # student
        for d in rng.sample([5, 6], 1 + (n_extra > 0)):
            windows.append((d, rng.choice([480, 510, 540]), rng.choice([720, 1020, 1080])))
        if rng.random() < 0.3:
            windows.append((rng.randrange(5), 1140, 1290))
    return windows


def generate(volunteers: int, shifts: int, seed: int) -> dict:
    """A contract JSON problem (a dict) with the given numbers of volunteers and shifts."""
    if volunteers < 0 or shifts < 0:
        raise ValueError("counts must be non-negative")
    rng = random.Random(seed)
    side_km = max(1.2, 12.0 * math.sqrt(max(volunteers, 1) / 30000.0))
    n_comm = max(1, round(max(volunteers, 1) / 300))
    cols = max(1, math.ceil(math.sqrt(n_comm)))
    rows = math.ceil(n_comm / cols)
    cell = side_km / cols
    communities = []
    for c in range(n_comm):
        r, q = divmod(c, cols)
        x = (q + 0.5 + rng.uniform(-0.3, 0.3)) * cell - side_km / 2
        y = (r + 0.5 + rng.uniform(-0.3, 0.3)) * (side_km / rows) - side_km / 2
        lat = CENTER[0] + y / KM_PER_DEG_LAT
        lon = CENTER[1] + x / (KM_PER_DEG_LAT * math.cos(math.radians(CENTER[0])))
        communities.append((lat, lon))
    sigma_v = 0.3 * cell

    # shifts first, so that preferences can name nearby shifts
    shift_rows = []
    shifts_by_comm: dict[int, list[int]] = {}
    skill_names = [s for s, _, _ in SPECIAL_SKILLS]
    skill_weights = [w for _, _, w in SPECIAL_SKILLS]
    for j in range(shifts):
        c = rng.randrange(n_comm)
        day = _weighted(rng, list(range(7)), [1.0, 1.0, 1.0, 1.0, 1.0, 1.3, 1.1])
        weekend = day >= 5
        # shifts are planned when volunteers can come: mornings and afternoons (retirees),
        # weekday evenings (office workers), weekend days (everyone)
        if weekend:
            part = _weighted(rng, ["morning", "afternoon", "evening"], [0.45, 0.45, 0.10])
            start, latest = {
                "morning": (rng.choice([540, 570, 600]), 720),
                "afternoon": (rng.choice([810, 840, 870]), 1050),
                "evening": (rng.choice([1110, 1140]), 1260),
            }[part]
        else:
            part = _weighted(rng, ["morning", "afternoon", "evening"], [0.4, 0.3, 0.3])
            start, latest = {
                "morning": (rng.choice([510, 540, 570]), 690),
                "afternoon": (rng.choice([840, 870, 900]), 1020),
                "evening": (rng.choice([1110, 1140]), 1260),
            }[part]
        lengths = [m for m in (60, 90, 120, 150, 180, 240) if start + m <= latest] or [60]
        length = _weighted(rng, lengths, [1.0 / (1 + k) for k in range(len(lengths))])
        end = start + length
        urgency = _weighted(rng, [1, 2, 3, 4], [0.35, 0.35, 0.20, 0.10])
        n_slots = _weighted(rng, [1, 2, 3], [0.5, 0.35, 0.15])
        slots = []
        for k in range(n_slots):
            if k == 0:
                skill = _weighted(rng, [None, "general", "special"], [0.55, 0.2, 0.25])
            else:
                skill = _weighted(rng, [None, "general", "special"], [0.3, 0.2, 0.5])
            if skill == "special":
                skill = _weighted(rng, skill_names, skill_weights)
            if any(s["skill"] == skill for s in slots):
                continue
            if skill is None or skill == "general":
                count = _weighted(rng, [1, 2, 3, 4, 6, 8], [0.25, 0.3, 0.2, 0.1, 0.1, 0.05])
            else:
                count = _weighted(rng, [1, 2, 3], [0.6, 0.3, 0.1])
            slots.append({"skill": skill, "count": count})
        capacity = sum(s["count"] for s in slots)
        min_volunteers = min(capacity, _weighted(rng, [1, 2, 3], [0.6, 0.3, 0.1]))
        residents = []
        if any(s["skill"] in ("elder_care", "psychological_support") for s in slots) or rng.random() < 0.1:
            residents = sorted({f"r{c}-{rng.randrange(20)}" for _ in range(rng.randint(1, 3))})
        shift_rows.append(
            {
                "id": f"s{j}",
                "start": _iso(_at(day, start)),
                "end": _iso(_at(day, end)),
                "location": _offset(rng, communities[c], 0.25 * cell),
                "urgency": urgency,
                "min_volunteers": min_volunteers,
                "slots": slots,
                "residents": residents,
            }
        )
        shifts_by_comm.setdefault(c, []).append(j)
    shift_times = [(datetime.fromisoformat(s["start"]), datetime.fromisoformat(s["end"])) for s in shift_rows]

    vol_rows = []
    for i in range(volunteers):
        c = rng.randrange(n_comm)
        kind = _weighted(rng, ["worker", "retiree", "student"], [0.55, 0.30, 0.15])
        skills = set()
        if rng.random() < 0.75:
            skills.add("general")
        for name, share, _ in SPECIAL_SKILLS:
            if rng.random() < share * (1.6 if kind == "retiree" and name == "elder_care" else 1.0):
                skills.add(name)
        windows = _availability(rng, kind)
        avail = [[_iso(_at(d, a)), _iso(_at(d, b))] for d, a, b in windows]
        rng.shuffle(avail)  # windows come in any order
        prefs = []
        local = shifts_by_comm.get(c, [])
        if local and rng.random() < 0.35:
            fits = [
                j
                for j in local
                if any(
                    _at(d, a) <= shift_times[j][0] and shift_times[j][1] <= _at(d, b) for d, a, b in windows
                )
            ]
            pool = fits if fits and rng.random() < 0.8 else local
            prefs = [f"s{j}" for j in rng.sample(pool, min(len(pool), rng.randint(1, 3)))]
        history = []
        if rng.random() < 0.15:
            history = sorted({f"r{c}-{rng.randrange(20)}" for _ in range(rng.randint(1, 2))})
        vol_rows.append(
            {
                "id": f"v{i}",
                "skills": sorted(skills),
                "location": _offset(rng, communities[c], sigma_v),
                "max_travel_km": _weighted(
                    rng, [None, 0.8, 1.0, 1.5, 2.0, 3.0], [0.2, 0.15, 0.25, 0.2, 0.12, 0.08]
                ),
                "max_minutes": _weighted(
                    rng,
                    [120, 180, 240, 300, 360, 480, 600, None],
                    [0.15, 0.2, 0.2, 0.15, 0.12, 0.1, 0.05, 0.03],
                ),
                "availability": avail,
                "preferences": prefs,
                "history": history,
            }
        )

    forbids = []
    for _ in range(volunteers // 1000):
        if shifts:
            forbids.append([f"v{rng.randrange(volunteers)}", f"s{rng.randrange(shifts)}"])
    return {
        "settings": {"max_travel_km": 3.0, "rest_minutes": 30, "timezone": "Asia/Shanghai"},
        "volunteers": vol_rows,
        "shifts": shift_rows,
        "pins": [],
        "forbids": forbids,
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--volunteers", type=int, required=True)
    ap.add_argument("--shifts", type=int, required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", help="write to this file instead of stdout")
    args = ap.parse_args(argv)
    data = generate(args.volunteers, args.shifts, args.seed)
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    if args.out:
        with open(args.out, "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        sys.stdout.write(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
