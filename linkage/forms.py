"""Form pieces shared by every area."""
from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
import wtforms
from wtforms import FormField, SelectChoice
from wtforms.validators import StopValidation

from linkage.identifiers import id_number_problem

# What the database can store, whatever a field's own rules say: ids and counts fit a 32-bit
# INTEGER column, amounts a NUMERIC of modest size, dates the years people plan and were born in.
LARGEST_INTEGER = 2**31 - 1
LARGEST_AMOUNT = 10**9
EARLIEST_YEAR, LATEST_YEAR = 1900, 2200


def choices(pairs: Iterable[tuple], optgroup: str | None = None) -> list[SelectChoice]:
    """(value, label) pairs as WTForms select choices."""
    return [SelectChoice(value, label, optgroup=optgroup) for value, label in pairs]


def _has_nul(field) -> bool:
    return any(isinstance(value, str) and "\x00" in value for value in (field.raw_data or ()))


def _out_of_range(data) -> str | None:
    """Why a parsed value cannot be stored, or None."""
    if isinstance(data, bool) or data is None:
        return None
    if isinstance(data, int):
        return _l("Enter a smaller number.") if abs(data) > LARGEST_INTEGER else None
    if isinstance(data, (float, Decimal)):
        if not math.isfinite(data):
            return _l("Enter a number.")
        return _l("Enter a smaller number.") if abs(data) > LARGEST_AMOUNT else None
    if isinstance(data, (date, datetime)) and not EARLIEST_YEAR <= data.year <= LATEST_YEAR:
        return _l("Enter a date between the years %(first)s and %(last)s.", first=EARLIEST_YEAR, last=LATEST_YEAR)
    if isinstance(data, (list, tuple)):
        return next((reason for reason in map(_out_of_range, data) if reason), None)
    return None


def storable(form, field) -> None:
    """Refuse what no column can hold before any other rule sees it: a NUL character (PostgreSQL
    refuses it in text), numbers beyond the columns and dates out of any plausible range.

    A refused value also leaves the field's data (what the page is drawn from, and what a view may
    look up, such as the rows a list of ids names): the page shows what was typed, from the raw input."""
    if _has_nul(field):
        raise StopValidation(_l("Remove the invalid control character from this field."))
    reason = _out_of_range(field.data)
    if reason:
        field.data = [value for value in field.data if not _out_of_range(value)] \
            if isinstance(field.data, (list, tuple)) else None
        raise StopValidation(reason)


class _StorableMeta:
    def bind_field(self, form, unbound_field, options):
        if not issubclass(unbound_field.field_class, FormField):  # its own form checks its fields
            options = {**options, "validators": [storable, *(unbound_field.kwargs.get("validators") or ())]}
        return unbound_field.bind(form=form, **options)


class Form(FlaskForm):
    """The base of every form: each field first checks that its value can be stored at all."""
    Meta = _StorableMeta


class Subform(wtforms.Form):
    """A form repeated inside another (``FormField``), with the same first check on every field."""
    Meta = _StorableMeta


def valid_id_number(form, field) -> None:
    """Validator: an ID number, if one was typed, must be valid; the message is ``read_id_number``'s."""
    problem = id_number_problem(field.data) if (field.data or "").strip() else None
    if problem:
        raise wtforms.validators.ValidationError(problem)
