"""Column types shared by the models."""
from datetime import datetime, timezone

import sqlalchemy as sa

from linkage import timeutil


def utcnow() -> datetime:
    """The current instant, timezone-aware in UTC (used as a column default): ``timeutil.now``."""
    return timeutil.now()


class UTCDateTime(sa.TypeDecorator):
    """A timezone-aware datetime stored as naive UTC, so SQLite and PostgreSQL agree."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)


Money = sa.Numeric(14, 2)


def setting_default(name: str, scale=1):
    """A column default taken from the locality setting ``name`` (times ``scale``) when the row is inserted."""
    def default():
        from linkage import settings  # settings imports the models

        return settings.get(name) * scale
    return default
