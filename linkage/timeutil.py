"""Local time (Asia/Shanghai) at the edges, UTC inside."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, time, timezone
from typing import Optional
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")

# The moment ``now()`` answers with inside ``as_of``; None: the wall clock.
_SET_MOMENT: ContextVar[Optional[datetime]] = ContextVar("linkage_clock", default=None)


def now() -> datetime:
    """The current instant, aware UTC: the one clock of the platform (column defaults, audit events and
    every rule read it). Inside ``as_of`` it is the moment set there."""
    return _SET_MOMENT.get() or datetime.now(timezone.utc)


@contextmanager
def as_of(moment: datetime) -> Iterator[datetime]:
    """Run the enclosed code as if it were ``moment`` (an aware datetime): every ``now()`` and ``today()``
    answers with it. The demo seed writes its past history this way, through the same rules users go
    through, so events and the records' own times tell when things happened."""
    if moment.tzinfo is None:
        raise ValueError("as_of needs an aware datetime")
    token = _SET_MOMENT.set(moment.astimezone(timezone.utc))
    try:
        yield moment
    finally:
        _SET_MOMENT.reset(token)


def local_to_utc(value: datetime) -> datetime:
    """A naive local wall-clock time (as typed in a form) as an aware UTC datetime."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=LOCAL_TZ)
    return value.astimezone(timezone.utc)


def to_local(value: datetime) -> datetime:
    return value.astimezone(LOCAL_TZ)


def local_day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, LOCAL_TZ).astimezone(timezone.utc)


def today() -> date:
    return now().astimezone(LOCAL_TZ).date()
