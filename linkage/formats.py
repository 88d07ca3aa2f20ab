"""Dates, numbers and money as the reader's language writes them (Babel's patterns through flask-babel);
templates use them as filters, messages from the rules call them directly."""
from datetime import datetime
from decimal import Decimal

from flask_babel import format_currency, format_datetime, format_decimal, format_percent

CURRENCY = "CNY"


def money(value) -> str:
    """An amount in yuan: "¥1,234.00" in Chinese, "CN¥1,234.00" in English."""
    if value is None:
        return "—"
    return format_currency(Decimal(value), CURRENCY)


def number(value, places=None) -> str:
    """A count or a measure with the reader's separators; ``places`` fixes the decimals shown."""
    if value is None:
        return "—"
    if places is None:
        return format_decimal(value)
    pattern = "#,##0." + "0" * places if places else "#,##0"
    return format_decimal(Decimal(str(value)), format=pattern)


def percent(value, places=2) -> str:
    """A share (0.125) as a percentage ("12.50%")."""
    if value is None:
        return "—"
    return format_percent(value, format="#,##0." + "0" * places + "%" if places else "#,##0%")


def moment(value: datetime, fmt: str = "short") -> str:
    """A UTC instant in the local time zone, as the reader's language writes date and time."""
    return format_datetime(value, fmt) if value else "—"
