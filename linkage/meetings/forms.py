"""Forms of joint meetings."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, DateTimeLocalField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from linkage.forms import Form
from linkage.listing import ListFilters, status_field
from linkage.models import MeetingStatus
from linkage.shifts.forms import DATETIME_FORMAT, MultiCheckboxField, optional_int


class MeetingForm(Form):
    region = SelectField(_l("For"), coerce=optional_int,
                         validators=[InputRequired(_l("Choose a community or street."))],
                         invalid_choice_message=_l("Choose a community or street you may convene for."))
    title = StringField(_l("Title"), validators=[DataRequired(_l("Give the meeting a title.")), Length(max=200)])
    starts_at = DateTimeLocalField(_l("When (local time)"), format=DATETIME_FORMAT,
                                   validators=[InputRequired(_l("Enter when the meeting starts."))])
    place = StringField(_l("Place"), validators=[DataRequired(_l("Say where the meeting is held.")), Length(max=255)])
    participants = MultiCheckboxField(
        _l("Participants"), coerce=int, validators=[DataRequired(_l("Invite at least one participant."))],
        invalid_choice_message=_l("Participants come from the community or street of the meeting."),
        invalid_value_message=_l("Participants come from the community or street of the meeting."))


class AgendaItemForm(Form):
    text = StringField(_l("Item"), validators=[DataRequired(_l("Write the item.")), Length(max=500)])


class MinutesForm(Form):
    minutes = TextAreaField(_l("Minutes of the meeting"), validators=[DataRequired(_l("Write the minutes.")), Length(max=20000)])


class DecisionForm(Form):
    text = TextAreaField(_l("Decision"), validators=[DataRequired(_l("Write the decision.")), Length(max=2000)])
    owner = SelectField(_l("Owner"), coerce=optional_int, validators=[InputRequired(_l("Choose who carries it out."))],
                        invalid_choice_message=_l("The owner is one of the meeting's participants."))
    due_on = DateField(_l("Due"), validators=[InputRequired(_l("Enter the due date."))])


class CloseDecisionForm(Form):
    note = StringField(_l("What was done"), validators=[Optional(), Length(max=1000)])


class CancelMeetingForm(Form):
    reason = StringField(_l("Reason"), validators=[DataRequired(_l("Say why the meeting is cancelled.")),
                                                   Length(max=500)])


class MeetingFilters(ListFilters):
    """The meeting list's search (title) and status filter."""
    status = status_field(_l("Status"), MeetingStatus)
