"""Forms of a volunteer's record: correction requests and decisions, certificates, complaints, verification."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from linkage.forms import Form, choices


class CorrectionForm(Form):
    sign_up = SelectField(_l("Entry"), coerce=int, validators=[InputRequired(_l("Choose an entry."))],
                          invalid_choice_message=_l("Only approved hours you may correct can be chosen."))
    minutes = IntegerField(_l("Correct minutes"), validators=[
        InputRequired(_l("Enter the correct number of minutes.")),
        NumberRange(min=0, max=24 * 60, message=_l("Enter from 0 to 1440 minutes."))])
    reason = TextAreaField(_l("Why the hours are wrong"), validators=[
        DataRequired(_l("Say why the hours are wrong.")), Length(max=1000)])


class DecideCorrectionForm(Form):
    correction = SelectField(_l("Correction"), coerce=int, validators=[InputRequired(_l("Choose a correction."))],
                             invalid_choice_message=_l("Only pending corrections you may decide can be chosen."))
    decision = SelectField(_l("Decision"), choices=choices([("approve", _l("Approve")), ("reject", _l("Reject"))]),
                           validators=[DataRequired()])
    note = StringField(_l("Note (needed to reject)"), validators=[Optional(), Length(max=500)])

    def validate_note(self, field):
        if self.decision.data == "reject" and not (field.data or "").strip():
            raise ValidationError(_l("Give a reason for rejecting: the person who asked will read it."))


class RequestCertificateForm(Form):
    """No fields: the button, with its CSRF token."""


class IssueForm(Form):
    person_in_charge = StringField(_l("Person in charge of the issuing body"), validators=[
        DataRequired(_l("Name the person in charge of the issuing body.")), Length(max=100)])
    contact = StringField(_l("Contact telephone"), validators=[
        DataRequired(_l("Give a contact telephone of the issuing body.")), Length(max=100)])


class ComplaintForm(Form):
    text = TextAreaField(_l("Complaint"), validators=[
        DataRequired(_l("Write what the complaint is about.")), Length(max=2000)])


class AnswerForm(Form):
    complaint = SelectField(_l("Complaint"), coerce=int, validators=[InputRequired(_l("Choose a complaint."))],
                            invalid_choice_message=_l("Only complaints about you without an answer can be chosen."))
    answer = TextAreaField(_l("Your answer"), validators=[DataRequired(_l("Write your answer.")), Length(max=2000)])


class VerifyForm(Form):
    number = StringField(_l("Certificate number"), validators=[
        DataRequired(_l("Enter the certificate number.")), Length(max=32)])
    code = StringField(_l("Verification code"), validators=[
        DataRequired(_l("Enter the verification code.")), Length(max=16)])


class LookUpForm(Form):
    """The volunteer number staff look a record up by (a GET query)."""
    class Meta:
        csrf = False
    number = StringField(_l("Volunteer number"), validators=[Optional(), Length(max=20)])
