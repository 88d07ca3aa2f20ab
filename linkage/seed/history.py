"""The demo communities' past paper records of needs: nearly three years of the ledgers each community kept
before it took needs on the platform, imported in one batch per community by its staff just before the
first need was reported on the platform (``linkage.needs.services.import_paper_records``, one audit event a
batch). The needs follow the same residents and sectors as the platform's, with each sector's season (the
elderly's winter and Spring Festival, children's summer holidays, the typhoon season's emergencies …), a slow
growth and chance (Poisson counts), so the needs forecast has a history to learn from.
"""
from __future__ import annotations

import itertools
import math
from datetime import timedelta
from functools import partial

import numpy as np

from linkage.extensions import db
from linkage.forecast.queries import month_index, month_start_utc
from linkage.models import Region, User
from linkage.needs import services as needs_services
from linkage.timeutil import local_day_start, to_local

# How many months of ledgers (kept within the retention of closed needs' personal details, 36 months).
MONTHS = 34
# Needs a month in the whole district at the start of the ledgers and at their end (a slow growth).
RATE_START, RATE_END = 80.0, 105.0
# Each sector's season: (amplitude, peak month). Sectors not listed vary little over the year.
SEASONS = {"elderly": (0.35, 1), "youth": (0.5, 7), "health": (0.3, 12), "emergency": (0.45, 8),
           "environment": (0.3, 7), "culture": (0.35, 2), "employment": (0.3, 3), "mental": (0.2, 11)}
DEFAULT_SEASON = (0.1, 1)


def season(sector: str, month: int) -> float:
    """The sector's need in calendar ``month`` (1..12) relative to its yearly mean."""
    amplitude, peak = SEASONS.get(sector, DEFAULT_SEASON)
    return 1 + amplitude * math.cos(2 * math.pi * (month - peak) / 12)


def plan(demo, draw_sector, weight) -> None:
    """Keep the import of every community's ledger for the moment just before the platform's first need.

    ``draw_sector(resident) -> (sector code, sub-category or None)`` and ``weight(resident)`` are the demo's
    own rules for who has which needs."""
    rng = demo.history_rng
    counts = np.random.default_rng(rng.randrange(2 ** 32))
    start = min(row["created_at"] for row in demo.needs)
    moment = start - timedelta(hours=2)
    # The ledgers end at the start of the day before (whole days: the same seed gives the same ledgers).
    cutoff = local_day_start(to_local(moment).date() - timedelta(days=1))
    residents = [r for r in demo.residents if r is not demo.demo_resident]
    cumulative = list(itertools.accumulate(weight(r) for r in residents))
    last = month_index(cutoff.date())
    first = last - MONTHS + 1
    peak = 1 + max(a for a, _peak in SEASONS.values())
    records: dict[int, list] = {}
    for month in range(first, last + 1):
        begin, end = month_start_utc(month), min(month_start_utc(month + 1), cutoff)
        if end <= begin:
            continue
        fraction = (end - begin) / (month_start_utc(month + 1) - begin)
        rate = RATE_START + (RATE_END - RATE_START) * (month - first) / max(1, last - first)
        calendar_month = month % 12 + 1
        for _ in range(counts.poisson(rate * peak * fraction)):
            resident = rng.choices(residents, cum_weights=cumulative, k=1)[0]
            sector, sub = draw_sector(resident)
            if sub is None or rng.random() * peak > season(sector, calendar_month):
                continue
            reported = demo.office_hours(begin + (end - begin) * rng.random())
            reported = min(reported, cutoff)
            served = min(reported + timedelta(days=rng.uniform(1, 12)), moment - timedelta(hours=1))
            records.setdefault(resident["_community"], []).append(needs_services.PaperRecord(
                resident["id"], sub.id, resident["region_id"], f"{sub.name}（纸质台账）", reported, served))
    for offset, community in enumerate(demo.communities):
        batch = sorted(records.get(community.id, []), key=lambda record: record.reported_at)
        demo.later(moment + timedelta(seconds=offset), partial(_import, demo, community.id, batch))
    demo.counts["paper_records"] = sum(len(batch) for batch in records.values())


def _import(demo, community_id: int, batch: list) -> None:
    staff = db.session.get(User, demo.staff_of[community_id])
    needs_services.import_paper_records(db.session.get(Region, community_id), batch, actor=staff)

