from __future__ import annotations

from datetime import datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from wtforms import (BooleanField, DateField, DecimalField, FloatField, IntegerField, SelectField, StringField,
                     SubmitField, TextAreaField)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from linkage import settings
from linkage.forms import Form, choices
from linkage.listing import ListFilters, status_field
from linkage.models import MatchKind, MatchStatus
from linkage.timeutil import LOCAL_TZ


TIME_LIMIT = settings.REGISTRY["MATCH_TIME_LIMIT"]


class NewRunForm(Form):
    kind = SelectField(_l("What to match"), choices=choices((k.value, k.label) for k in MatchKind),
                       validators=[DataRequired()])
    region = SelectField(_l("Area"), coerce=int, validators=[DataRequired()])
    week = DateField(_l("Week starting (volunteer runs)"), validators=[Optional()],
                     description=_l("Any day of the week to plan; the run covers Monday to Sunday."))
    funding_pool = DecimalField(_l("Funding pool in yuan (project award, optional)"), places=2,
                                validators=[Optional(), NumberRange(min=0, message=_l("Enter an amount of 0 or more."))])
    time_limit = FloatField(_l("Time limit in seconds"), default=lambda: settings.get("MATCH_TIME_LIMIT"), validators=[
        DataRequired(), NumberRange(min=TIME_LIMIT.minimum, max=TIME_LIMIT.maximum,
                                    message=_l("Between %(min)s and %(max)s seconds.", min=int(TIME_LIMIT.minimum),
                                               max=int(TIME_LIMIT.maximum)))])
    urgent_floor = IntegerField(
        _l("Fairness: each community's urgent places filled, at least (%, optional)"),
        validators=[Optional(), NumberRange(min=1, max=100, message=_l("Enter a whole percentage from 1 to 100."))],
        description=_l("Volunteer runs: the share of each community's urgent places the plan must fill where "
                       "volunteers allow it; a community left short is named on the proposal with the reason."))
    urgent_from = SelectField(_l("Urgent means urgency of at least"), coerce=int, default=3,
                              choices=choices([(4, "4"), (3, "3"), (2, "2")]),
                              validators=[Optional()])
    hours_cap = IntegerField(
        _l("Fairness: one volunteer carries at most this share of the week's hours (%, optional)"),
        validators=[Optional(), NumberRange(min=1, max=100, message=_l("Enter a whole percentage from 1 to 100."))],
        description=_l("Places volunteers took by themselves are kept even beyond this share."))
    spread = BooleanField(_l("Fairness: spread the hours as evenly as possible without covering less"))
    submit = SubmitField(_l("Start the run"))

    def fairness(self) -> dict:
        """The fairness options as entered (percentages), for the service to check and store."""
        return {"urgent_floor": self.urgent_floor.data, "urgent_from": self.urgent_from.data,
                "hours_cap": self.hours_cap.data, "spread": bool(self.spread.data)}

    def period(self) -> tuple[datetime | None, datetime | None]:
        """Monday 00:00 to the next Monday 00:00 (local time) of the chosen week, or (None, None)."""
        if not self.week.data:
            return None, None
        monday = self.week.data - timedelta(days=self.week.data.weekday())
        start = datetime.combine(monday, time.min, LOCAL_TZ)
        return start, start + timedelta(days=7)


def _row_id(value):
    """A row id from a picker; anything else becomes None and the service refuses it with a message."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class OverrideForm(Form):
    """Pin or forbid one pairing, chosen from the run's own volunteers, bids or needs (left) and shifts,
    projects or social workers (right). The pickers are filled per run; the service checks membership."""
    action = SelectField(_l("Decision"), choices=choices([("pin", _l("Pin: this pairing must hold")),
                                                          ("forbid", _l("Forbid: never pair these"))]))
    left = SelectField(_l("Volunteer, bid or need"), coerce=_row_id, validate_choice=False)
    right = SelectField(_l("Shift, project or social worker"), coerce=_row_id, validate_choice=False)
    reason = StringField(_l("Reason"), validators=[DataRequired(message=_l("Write down the reason.")), Length(max=500)])
    submit = SubmitField(_l("Re-run with this decision"))

    LABELS = {MatchKind.shifts: (_l("Volunteer"), _l("Shift")), MatchKind.award: (_l("Bid"), _l("Project")),
              MatchKind.cases: (_l("Need"), _l("Social worker"))}

    def for_run(self, kind: MatchKind, left_options: list, right_options: list) -> "OverrideForm":
        """Label the pickers for the run's kind and fill them with (row id, label) pairs."""
        self.left.label.text, self.right.label.text = self.LABELS[kind]
        self.left.choices = [("", _l("Choose…"))] + list(left_options)
        self.right.choices = [("", _l("Choose…"))] + list(right_options)
        return self


class DecisionForm(Form):
    note = TextAreaField(_l("Note"), validators=[Length(max=2000)])
    submit = SubmitField(_l("Confirm"))


class RunFilters(ListFilters):
    """The run list's search (area) and filters by kind and status."""
    kind = status_field(_l("Kind"), MatchKind)
    status = status_field(_l("Status"), MatchStatus)
