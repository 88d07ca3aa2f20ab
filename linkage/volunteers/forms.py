"""Volunteer profile form with skills and weekly availability."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (DateField, FieldList, FloatField, FormField, IntegerField, SelectField,
                     StringField, SubmitField, TextAreaField, TimeField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from linkage import settings
from linkage.forms import Form, Subform, choices, valid_id_number
from linkage.listing import ListFilters, day_field, status_field
from linkage.models import ExceptionKind, HoursStatus
from linkage.shifts.forms import MultiCheckboxField, optional_int

WEEKDAYS = [_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"), _l("Saturday"),
            _l("Sunday")]
MAX_WINDOWS = 7


class WindowForm(Subform):
    """One weekly window: a weekday and a start and end time (local)."""
    weekday = SelectField(_l("Day"), coerce=optional_int, choices=choices(
        [("", "—")] + [(i, name) for i, name in enumerate(WEEKDAYS)]))
    start = TimeField(_l("From"), validators=[Optional()])
    end = TimeField(_l("To"), validators=[Optional()])

    def validate_weekday(self, field):
        # Presence is checked here: the time fields' own chains stop at Optional() when empty.
        typed = [bool(f.raw_data and f.raw_data[0].strip()) for f in (self.start, self.end)]
        if field.data is None and any(typed):
            raise ValidationError(_l("Choose the day for this time."))
        if field.data is not None and not all(typed):
            raise ValidationError(_l("Enter both the start and the end time."))

    def validate_end(self, field):
        if field.data and self.start.data and field.data <= self.start.data:
            raise ValidationError(_l("The end must be after the start."))


class ProfileForm(Form):
    name = StringField(_l("Full name"), validators=[DataRequired(_l("Enter your name.")), Length(max=100)])
    phone = StringField(_l("Mobile phone"), validators=[
        Optional(), Regexp(r"^1\d{10}$", message=_l("Enter an 11-digit mainland mobile number."))])
    id_number = StringField(_l("Resident ID number"), validators=[Optional(), Length(max=40), valid_id_number],
                            render_kw={"autocomplete": "off", "inputmode": "text"},
                            description=_l("18 characters. Your age is read from it; it is stored encrypted and "
                                           "shown masked."))
    community = SelectField(_l("Home community"), coerce=optional_int,
                            validators=[InputRequired(_l("Choose your community."))])
    latitude = FloatField(_l("Latitude"), validators=[
        Optional(), NumberRange(min=-90, max=90, message=_l("A latitude lies between -90 and 90."))],
        description=_l("Leave empty to use your community's location."))
    longitude = FloatField(_l("Longitude"), validators=[
        Optional(), NumberRange(min=-180, max=180, message=_l("A longitude lies between -180 and 180."))])
    max_travel_km = FloatField(_l("How far you will travel (km)"), default=lambda: settings.get("VOLUNTEER_TRAVEL_KM"),
                               validators=[
        InputRequired(_l("Enter a distance.")),
        NumberRange(min=0.5, max=100, message=_l("Enter a distance from 0.5 to 100 km."))])
    weekly_hours = IntegerField(_l("At most this many hours a week"),
                                default=lambda: settings.get("VOLUNTEER_WEEKLY_HOURS"), validators=[
        InputRequired(_l("Enter your weekly hour limit.")),
        NumberRange(min=1, max=60, message=_l("Enter from 1 to 60 hours."))])
    skills = MultiCheckboxField(_l("Skills and certificates"), coerce=int)
    availability = FieldList(FormField(WindowForm), min_entries=MAX_WINDOWS, max_entries=MAX_WINDOWS)
    submit = SubmitField(_l("Save"))

    def validate_longitude(self, field):
        if (field.data is None) != (self.latitude.data is None):
            raise ValidationError(_l("Enter both latitude and longitude, or neither."))

    def validate_availability(self, field):
        rows = self.windows()
        for i, (day, start, end) in enumerate(rows):
            for other_day, other_start, other_end in rows[i + 1:]:
                if day == other_day and start < other_end and other_start < end:
                    raise ValidationError(_l("Two windows on %(day)s overlap; merge them into one.",
                                             day=WEEKDAYS[day]))

    def windows(self) -> list[tuple]:
        """(weekday, start, end) for every complete row."""
        return [(e.form.weekday.data, e.form.start.data, e.form.end.data) for e in self.availability
                if e.form.weekday.data is not None and e.form.start.data and e.form.end.data]


class NoteForm(Form):
    text = TextAreaField(_l("Note"), validators=[DataRequired(message=_l("Write the note.")), Length(max=5000)])
class ExceptionForm(Form):
    """A one-off change to the weekly windows: away on a date (all day or some hours), or free as well."""
    kind = SelectField(_l("Away or also free"), choices=choices([(k.value, k.label) for k in ExceptionKind]),
                       default=ExceptionKind.away.value)
    day = DateField(_l("Date"), validators=[InputRequired(_l("Choose the date."))])
    start = TimeField(_l("From"), validators=[Optional()])
    end = TimeField(_l("To"), validators=[Optional()], description=_l("Leave both times empty for the whole day."))
    submit = SubmitField(_l("Add"))


class ConsentForm(Form):
    """A guardian's consent to a minor's volunteering, recorded by staff with the signed form."""
    guardian_name = StringField(_l("Guardian's full name"), validators=[
        DataRequired(_l("Enter the guardian's full name.")), Length(max=100)])
    relation = StringField(_l("Relation to the volunteer"), validators=[
        DataRequired(_l("Enter how the guardian is related to the volunteer.")), Length(max=32)],
        description=_l("For example: mother, father, grandparent, legal guardian."))
    phone = StringField(_l("Guardian's phone"), validators=[
        DataRequired(_l("Enter the guardian's phone number.")), Length(max=32)])
    file = FileField(_l("Signed consent form"), description=_l("A scan or photo of the form the guardian signed."))
    submit = SubmitField(_l("Record the consent"))


class HoursFilters(ListFilters):
    """A volunteer's hours: search by shift title, the hours' status and the days the shifts started."""
    status = status_field(_l("Hours"), HoursStatus)
    since = day_field(_l("Shifts from"))
    until = day_field(_l("Shifts to"))
