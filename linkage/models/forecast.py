"""Stored forecasts of needs: a model fit takes a while, so a background job fits each series once and
pages read the result (``linkage.forecast.store``)."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from linkage.extensions import db
from linkage.models.types import UTCDateTime, utcnow


class ForecastResult(db.Model):
    """The forecast and back-test of one series of monthly counts, found by a digest of the counts, the lead
    time and the method's version: the same history gives the same numbers, so a result never goes stale."""

    __tablename__ = "forecast_results"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    result: Mapped[dict] = mapped_column(sa.JSON)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
