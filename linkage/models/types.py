"""Column types shared by the models."""
from datetime import date, datetime, timezone

import sqlalchemy as sa
from sqlalchemy.sql import operators

from linkage.security import decrypt, encrypt

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


class EncryptedDate(sa.TypeDecorator):
    """A date stored as field-encrypted ciphertext (``linkage.security``): a ``date`` in Python, unreadable
    in the database. The database cannot compare or sort what it cannot read, so any SQL operator other
    than "is (not) empty" raises (comparisons, ``.asc()``/``.desc()``): filter and sort such dates in
    Python."""

    impl = sa.LargeBinary
    cache_ok = True

    class comparator_factory(sa.LargeBinary.Comparator):
        def operate(self, op, *other, **kwargs):
            emptiness = op in (operators.is_, operators.is_not) or (
                op in (operators.eq, operators.ne) and other == (None,))
            if not emptiness:
                raise TypeError("an encrypted date cannot be compared or sorted in SQL")
            return super().operate(op, *other, **kwargs)

    def process_bind_param(self, value, dialect):
        return None if value is None else encrypt(value.isoformat())

    def process_result_value(self, value, dialect):
        return None if value is None else date.fromisoformat(decrypt(value))


class EncryptedText(sa.TypeDecorator):
    """Text stored as field-encrypted ciphertext (``linkage.security``): plain text in Python, unreadable in
    the database (case notes). As with ``EncryptedDate``, SQL can only ask whether it is empty."""

    impl = sa.LargeBinary
    cache_ok = True
    comparator_factory = EncryptedDate.comparator_factory

    def process_bind_param(self, value, dialect):
        return encrypt(value)

    def process_result_value(self, value, dialect):
        return decrypt(value)


Money = sa.Numeric(14, 2)


def setting_default(name: str, scale=1):
    """A column default taken from the locality setting ``name`` (times ``scale``) when the row is inserted."""
    def default():
        from linkage import settings  # settings imports the models

        return settings.get(name) * scale
    return default
