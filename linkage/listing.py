"""Search and filters of long lists: one form base the lists' filter forms extend, and the query-side
helpers they share. A filter with a value the list does not know is left out, with a message on the field."""
import enum
from datetime import date, timedelta
from typing import Optional

import sqlalchemy as sa
from flask import request
from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, StringField
from wtforms.validators import Length
from wtforms.validators import Optional as OptionalValue

from linkage.forms import Form, choices
from linkage.timeutil import local_day_start

SEARCH_LENGTH = 100


class ListFilters(Form):
    """A list's search box; subclasses add their filters (select fields whose first choice, "", means all)."""

    class Meta(Form.Meta):
        csrf = False

    q = StringField(_l("Search"), validators=[OptionalValue(), Length(max=SEARCH_LENGTH)])

    @classmethod
    def read(cls, **field_choices):
        """The filters in the request's query string, checked; ``field_choices`` fills select fields."""
        form = cls(formdata=request.args)
        for name, options in field_choices.items():
            form[name].choices = options
        form.validate()
        return form

    def value(self, name: str):
        """The field's value if it is valid and set, else None (no filter)."""
        field = self[name]
        if field.errors or field.data in ("", None):
            return None
        return field.data.strip() if isinstance(field.data, str) else field.data

    def filter_fields(self):
        """The fields shown in the filter bar after the search box."""
        return [field for field in self if field.name != "q"]


def status_field(label, statuses: type[enum.Enum]) -> SelectField:
    """A select of an enumeration's states, "All" first."""
    return SelectField(label, choices=choices([("", _l("All"))] + [(s.value, s.label) for s in statuses]),
                       validators=[OptionalValue()])


def _row_id(value):
    return None if value in ("", None) else int(value)


def row_field(label) -> SelectField:
    """A select of rows (a category, a community) by id, its choices set per request, "" meaning all."""
    return SelectField(label, coerce=_row_id, validators=[OptionalValue()])


def member(statuses: type[enum.Enum], value: Optional[str]):
    """The enumeration member ``value`` names, or None."""
    return statuses(value) if value in {s.value for s in statuses} else None


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def contains(column, text: str):
    """SQL condition: ``column`` contains ``text`` (any case), the text's ``%`` and ``_`` taken as they are."""
    return column.ilike(_like(text), escape="\\")


def matching_text(query: sa.Select, text: Optional[str], *columns) -> sa.Select:
    """``query`` narrowed to rows where any of ``columns`` contains ``text`` (any case); all rows without text."""
    if not text:
        return query
    return query.where(sa.or_(*[contains(column, text) for column in columns]))


def day_field(label) -> DateField:
    """A day bounding a date range (empty: no bound)."""
    return DateField(label, validators=[OptionalValue()])


def within_days(query: sa.Select, column, first: Optional[date], last: Optional[date]) -> sa.Select:
    """``query`` narrowed to rows whose ``column`` (a moment) falls on local days ``first`` to ``last``, both
    included; a missing day leaves that side open."""
    if first is not None:
        query = query.where(column >= local_day_start(first))
    if last is not None:
        query = query.where(column < local_day_start(last + timedelta(days=1)))
    return query
