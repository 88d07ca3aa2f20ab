"""Shift forms: create/edit, cancel, the browse filters, and the roster's actions."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
import re
from datetime import date

from wtforms import (BooleanField, DateField, DateTimeLocalField, FieldList, FloatField, FormField,
                     IntegerField, RadioField, SelectField, SelectMultipleField, StringField, SubmitField,
                     TextAreaField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from linkage.forms import Form, Subform, choices
from linkage.listing import ListFilters, day_field
from linkage.models import URGENCY_LABELS, ShiftStatus
from linkage.skills.queries import skill_choices

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
WEEKDAY_CHOICES = [(1, _l("Monday")), (2, _l("Tuesday")), (3, _l("Wednesday")), (4, _l("Thursday")),
                   (5, _l("Friday")), (6, _l("Saturday")), (7, _l("Sunday"))]
SCOPE_CHOICES = [("one", _l("This shift only")), ("later", _l("This and all later shifts of the series"))]


def optional_int(value):
    """Coerce a select value to int, with "" meaning none."""
    if value in (None, "", "None"):
        return None
    return int(value)


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class SlotForm(Subform):
    """One row: a skill (or anyone) and how many places."""
    skill = SelectField(_l("Skill"), coerce=optional_int, validate_choice=True)
    count = IntegerField(_l("Places"), validators=[
        Optional(), NumberRange(min=1, max=500, message=_l("Enter a number of places from 1 to 500."))])

    def validate_skill(self, field):
        # On the skill: the count's own chain stops at Optional() when it is empty.
        if field.data is not None and not (self.count.raw_data and self.count.raw_data[0].strip()):
            raise ValidationError(_l("Enter how many places this skill needs."))


class ShiftForm(Form):
    title = StringField(_l("Title"), validators=[DataRequired(_l("Give the shift a title.")), Length(max=200)])
    description = TextAreaField(_l("What volunteers will do"), validators=[Optional(), Length(max=5000)])
    community = SelectField(_l("Community"), coerce=optional_int,
                            validators=[InputRequired(_l("Choose a community."))])
    place = StringField(_l("Place"), validators=[DataRequired(_l("Say where volunteers meet.")), Length(max=255)])
    latitude = FloatField(_l("Latitude"), validators=[
        Optional(), NumberRange(min=-90, max=90, message=_l("A latitude lies between -90 and 90."))],
        description=_l("Leave empty to use the community's location."))
    longitude = FloatField(_l("Longitude"), validators=[
        Optional(), NumberRange(min=-180, max=180, message=_l("A longitude lies between -180 and 180."))])
    start = DateTimeLocalField(_l("Start (local time)"), format=DATETIME_FORMAT,
                               validators=[InputRequired(_l("Enter when the shift starts."))])
    end = DateTimeLocalField(_l("End (local time)"), format=DATETIME_FORMAT,
                             validators=[InputRequired(_l("Enter when the shift ends."))])
    urgency = SelectField(_l("Urgency"), coerce=optional_int, choices=choices(
        [("", _l("As urgent as the most urgent need served"))]
        + [(level, _l("%(level)s · %(label)s", level=level, label=label))
           for level, label in URGENCY_LABELS.items()]))
    min_volunteers = IntegerField(_l("Minimum volunteers"), default=1, validators=[
        InputRequired(_l("Enter the minimum number of volunteers.")),
        NumberRange(min=1, max=500, message=_l("Enter a number from 1 to 500."))])
    slots = FieldList(FormField(SlotForm), min_entries=4, max_entries=4)
    lead = SelectField(_l("Lead social worker"), coerce=optional_int)
    first_come = SelectField(_l("Sign-up"), coerce=optional_int, choices=choices([
        (1, _l("First come, first served (a waiting list when full)")),
        (0, _l("Requests, decided by a match run")),
    ]), default=1)
    requires_insurance = BooleanField(_l("Risky activity: volunteers need accident insurance"))
    insurance_note = StringField(_l("Insurance (insurer, policy)"), validators=[Optional(), Length(max=255)])
    trains_skill = SelectField(_l("Training session for"), coerce=optional_int, validate_choice=True,
                               description=_l("Volunteers whose hours on this shift are approved receive this "
                                              "certificate."))
    needs = MultiCheckboxField(_l("Needs served"), coerce=int)
    # A new shift may repeat weekly: a series of shifts like this one.
    repeat = BooleanField(_l("Repeat weekly"))
    weekdays = MultiCheckboxField(_l("On"), coerce=int, choices=choices(WEEKDAY_CHOICES))
    repeat_until = DateField(_l("Until (last date)"), validators=[Optional()])
    repeat_weeks = IntegerField(_l("Or for this many weeks"), validators=[
        Optional(), NumberRange(min=1, max=52, message=_l("Enter a number of weeks from 1 to 52."))])
    skip_dates = StringField(_l("Leave out these dates"), validators=[Optional(), Length(max=1000)],
                             description=_l("Dates such as 2026-12-08, separated by commas."))
    # Editing a shift of a series: this one, or this and all later ones.
    scope = RadioField(_l("Change"), choices=choices(SCOPE_CHOICES), default="one", validators=[Optional()])
    submit = SubmitField(_l("Save"))

    def validate_weekdays(self, field):
        if self.repeat.data and not field.data:
            raise ValidationError(_l("Choose the weekdays the shift repeats on."))

    def validate_repeat_until(self, field):
        if self.repeat.data and field.data is None and self.repeat_weeks.data is None:
            raise ValidationError(_l("Say until when the shift repeats: a last date or a number of weeks."))
        if self.repeat.data and field.data and self.start.data and field.data < self.start.data.date():
            raise ValidationError(_l("The last date cannot be before the first shift."))

    def validate_skip_dates(self, field):
        if self.repeat.data:
            self.skipped()

    def skipped(self) -> list[date]:
        """The dates to leave out, read from what was typed."""
        days = []
        for word in re.split(r"[\s,，、;；]+", self.skip_dates.data or ""):
            if not word:
                continue
            try:
                days.append(date.fromisoformat(word))
            except ValueError:
                raise ValidationError(_l("Write each date as 2026-12-08: \"%(word)s\" is not a date.",
                                         word=word)) from None
        return days

    def set_skill_choices(self, skills, locale: str) -> None:
        options = choices([("", _l("Anyone"))]) + skill_choices(skills, locale)
        for entry in self.slots:
            entry.form.skill.choices = options
        self.trains_skill.choices = choices([("", _l("Not a training session"))]) + skill_choices(
            [s for s in skills if s.is_certificate], locale)

    def validate_end(self, field):
        if field.data and self.start.data and field.data <= self.start.data:
            raise ValidationError(_l("The end must be after the start."))

    def validate_insurance_note(self, field):
        if self.requires_insurance.data and not (field.data or "").strip():
            raise ValidationError(_l("Say which accident insurance covers the volunteers."))

    def validate_longitude(self, field):
        if (field.data is None) != (self.latitude.data is None):
            raise ValidationError(_l("Enter both latitude and longitude, or neither."))

    def validate_slots(self, field):
        rows = self.slot_rows()
        if not rows:
            raise ValidationError(_l("Add at least one slot: a skill (or anyone) and how many volunteers."))
        keys = [skill for skill, _count in rows]
        if len(set(keys)) != len(keys):
            raise ValidationError(_l("Each skill (and \"anyone\") may appear in one slot only."))
        capacity = sum(count for _skill, count in rows)
        if self.min_volunteers.data and self.min_volunteers.data > capacity:
            raise ValidationError(_l("The minimum cannot exceed the places in the slots."))

    def slot_rows(self) -> list[tuple]:
        """(skill id or None, count) for every row with a number of places."""
        return [(entry.form.skill.data, entry.form.count.data) for entry in self.slots
                if entry.form.count.data is not None]


class CancelShiftForm(Form):
    reason = TextAreaField(_l("Reason (sent to everyone signed up)"), validators=[
        DataRequired(_l("Give a reason: the volunteers will read it.")), Length(max=1000)])
    scope = RadioField(_l("Cancel"), choices=choices(SCOPE_CHOICES), default="one", validators=[Optional()])
    submit = SubmitField(_l("Cancel the shift"))


class FilterForm(Form):
    class Meta:
        csrf = False

    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
    community = SelectField(_l("Community"), coerce=optional_int, validators=[Optional()])
    skill = SelectField(_l("Skill"), coerce=optional_int, validators=[Optional()])
    urgency = SelectField(_l("Urgency"), coerce=optional_int, validators=[Optional()], choices=choices(
        [("", _l("Any urgency"))] + [(level, _l("At least: %(label)s", label=label))
                                     for level, label in URGENCY_LABELS.items() if level > 1]))
    within_km = SelectField(_l("Distance from home"), coerce=optional_int, validators=[Optional()], choices=choices(
        [("", _l("Any distance"))] + [(km, _l("Within %(km)s km", km=km)) for km in (1, 2, 3, 5, 10, 20)]))
    show = SelectField(_l("Show"), validators=[Optional()], default="fits", choices=choices([
        ("fits", _l("Only shifts I may take")), ("all", _l("All open shifts in my street"))]))
    status = SelectField(_l("Status"), validators=[Optional()], choices=choices(
        [("", _l("Any status"))] + [(s.value, s.label) for s in ShiftStatus]))
    when = SelectField(_l("When"), validators=[Optional()], default="upcoming", choices=choices([
        ("upcoming", _l("Upcoming")), ("past", _l("Past")), ("all", _l("All"))]))

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end date must not be before the start date."))


class TimeForm(Form):
    """A roster action with an optional time typed by hand (empty: now)."""
    at = DateTimeLocalField(_l("Time (empty: now)"), format=DATETIME_FORMAT, validators=[Optional()])
    # Set by the confirmation step of a check-out that declines the hours.
    confirm_decline = BooleanField()


class HoursForm(Form):
    sign_ups = SelectMultipleField(_l("Entries"), coerce=int, validators=[
        DataRequired(_l("Choose at least one entry."))],
        invalid_choice_message=_l("Only pending hours can be approved or declined."))
    decision = SelectField(_l("Decision"), choices=choices([
        ("approve", _l("Approve")), ("decline", _l("Decline"))]), validators=[DataRequired()])
    reason = StringField(_l("Reason (needed to decline)"), validators=[Optional(), Length(max=500)])

    def validate_reason(self, field):
        if self.decision.data == "decline" and not (field.data or "").strip():
            raise ValidationError(_l("Give a reason for declining: the volunteer will read it."))


class PendingHoursFilters(ListFilters):
    """Hours to approve: search by volunteer's name or shift title, and the days the shifts started."""
    since = day_field(_l("Shifts from"))
    until = day_field(_l("Shifts to"))
