"""The dashboard's filters: a period and an area within the reader's scope (GET; no CSRF)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField
from wtforms.validators import Optional, ValidationError

from linkage.forms import Form, choices
from linkage.needs.forms import optional_int

# The longest period one dashboard adds up (days).
LONGEST_PERIOD = 3 * 366


class DashboardFilterForm(Form):
    """A filter with a bad value is ignored (the default is used), with a message on the field."""

    class Meta:
        csrf = False

    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
    area = SelectField(_l("Area"), coerce=optional_int, validators=[Optional()])
    view = SelectField(_l("Whose work"), validators=[Optional()], choices=choices(
        [("own", _l("My own work")), ("organization", _l("My organization's work"))]))

    def validate_date_to(self, field):
        if field.data and self.date_from.data:
            if field.data < self.date_from.data:
                raise ValidationError(_l("The end date must not be before the start date."))
            if (field.data - self.date_from.data).days > LONGEST_PERIOD:
                raise ValidationError(_l("Choose a period of at most three years."))

    def value(self, name: str):
        """The field's value if it is valid, else None (the default)."""
        field = self[name]
        return None if field.errors else field.data
