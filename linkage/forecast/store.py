"""Forecasts fitted in the background and stored, so the forecast page reads them at once.

A result is found by a digest of its series (the monthly counts), the lead time and the method's version
(``ForecastResult``): the same history gives the same numbers, so a stored result is right as long as it is
found, and a new month or a new need simply makes a new series. The scheduled job (``run``, in
``linkage.jobs.SCHEDULE``) fits every series of every scope a reader can have (all communities, each street,
each community); a page that finds a series not fitted yet asks for the job once and shows the series as
being prepared. Series that fall back to the baseline need no fit: pages compute those on the spot.
"""
from __future__ import annotations

import hashlib
import logging
import time
from datetime import date
from typing import Optional, Sequence

import sqlalchemy as sa
from flask import current_app

from linkage import jobs, timeutil
from linkage.extensions import db
from linkage.forecast import model
from linkage.models import ForecastResult, Need, Region, RegionLevel

log = logging.getLogger(__name__)
JOB = "linkage.forecast.store.run"
_asked_at: dict[str, float] = {}


def key(counts: Sequence[int], ahead: int) -> str:
    text = f"{model.VERSION}:{ahead}:{','.join(str(int(c)) for c in counts)}"
    return hashlib.sha256(text.encode()).hexdigest()


def stored(keys: set[str]) -> dict[str, tuple[model.QuarterForecast, model.BackTest]]:
    if not keys:
        return {}
    rows = db.session.execute(sa.select(ForecastResult.key, ForecastResult.result)
                              .where(ForecastResult.key.in_(keys)))
    return {row_key: model.from_dict(result) for row_key, result in rows}


def result(counts: Sequence[int], ahead: int, found: dict):
    """(forecast, back-test) of ``counts``: stored, or computed here when no fit is needed; None when the
    model's fit waits for the background job."""
    hit = found.get(key(counts, ahead))
    if hit is not None:
        return hit
    if model.is_cheap(counts):
        return model.forecast_quarter(counts, ahead), model.back_test(counts, ahead)
    return None


def ask_for_fits() -> bool:
    """Queue the background fit, at most once every ``FORECAST_RETRY_SECONDS`` from this process; answers
    whether the fits are done already (job mode "inline": run in the caller). Call it with no transaction
    open: the fit opens its own."""
    app = current_app._get_current_object()
    if not app.config.get("FORECAST_ON_DEMAND", True):
        return False
    now = time.monotonic()
    if now - _asked_at.get(id(app), -1e9) < float(app.config.get("FORECAST_RETRY_SECONDS", 120)):
        return False
    _asked_at[id(app)] = now
    jobs.enqueue(JOB)
    return jobs.mode(app) == "inline"


def save(counts: Sequence[int], ahead: int) -> bool:
    """Fit ``counts`` and store the result unless it is stored already; answers whether it fitted."""
    digest = key(counts, ahead)
    found = db.session.scalar(sa.select(ForecastResult.id).where(ForecastResult.key == digest)) is not None
    # Fitting takes seconds: no transaction stays open meanwhile (on SQLite it would hold the write lock
    # and every request would wait for it).
    db.session.commit()
    if found:
        return False
    values = model.as_dict(model.forecast_quarter(counts, ahead), model.back_test(counts, ahead))
    try:
        with db.session.begin_nested():
            db.session.add(ForecastResult(key=digest, result=values))
    except sa.exc.IntegrityError:  # another process stored it meanwhile: the same numbers
        return False
    return True


def scopes() -> list[Optional[Region]]:
    """Every scope a reader of the forecast can have: everything (None), each district, street, community."""
    return [None, *db.session.scalars(sa.select(Region).where(Region.level.in_(
        (RegionLevel.district, RegionLevel.street, RegionLevel.community))).order_by(Region.path))]


def refresh(today: Optional[date] = None) -> int:
    """Fit and store every series of every scope not stored yet, committing each; answers how many."""
    from linkage.forecast import plan

    today = today or timeutil.today()
    fitted = 0
    for scope in scopes():
        condition = sa.true() if scope is None else Region.subtree_clause(Need.region_id, scope)
        series = plan.scope_series(condition, scope, today)
        db.session.commit()   # the counts are read: no transaction is held through the fits below
        if series is None:
            continue
        for counts in series.all_counts():
            if not model.is_cheap(counts) and save(counts, series.ahead):
                db.session.commit()
                fitted += 1
    db.session.commit()
    return fitted


def run() -> int:
    """The scheduled job: fit what is new (after a new month, or new needs)."""
    try:
        fitted = refresh()
    except BaseException:
        db.session.rollback()
        raise
    if fitted:
        log.info("needs forecast: %s series fitted", fitted)
    return fitted
