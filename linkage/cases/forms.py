"""Forms of case work: opening a case, asking for and giving approval, notes and contacts, services,
referrals and transfers."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields import DateTimeLocalField
from wtforms.validators import DataRequired, Length, Optional

from linkage.forms import Form, choices
from linkage.listing import ListFilters, row_field, status_field
from linkage.models import CaseStatus, NoteKind
from linkage.needs.forms import BAD_TIME, optional_int

CHOOSE_FROM_LIST = _l("Choose from the list.")


def _select(label, message, **kwargs):
    return SelectField(label, coerce=optional_int, validators=[DataRequired(message=message)],
                       invalid_choice_message=CHOOSE_FROM_LIST, invalid_value_message=CHOOSE_FROM_LIST, **kwargs)


class OpenCaseForm(Form):
    need = _select(_l("Need"), _l("Choose the need the case is opened for."))
    owner = _select(_l("Social worker who owns the case"), _l("Choose the social worker."))


class ApprovalRequestForm(Form):
    summary = TextAreaField(_l("What the supervisor is asked to approve"), validators=[
        DataRequired(message=_l("Sum up what the supervisor is asked to approve.")), Length(max=4000)])


class DecisionForm(Form):
    decision = RadioField(_l("Decision"), choices=choices([("approve", _l("Approve")),
                                                           ("send_back", _l("Send back"))]),
                          validators=[DataRequired(message=_l("Choose approve or send back."))],
                          invalid_choice_message=_l("Choose approve or send back."))
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=2000)],
                            description=_l("Needed when the request is sent back."))


class CaseNoteForm(Form):
    kind = SelectField(_l("Kind"), default=NoteKind.note.value,
                       choices=choices([(k.value, k.label) for k in NoteKind]),
                       invalid_choice_message=CHOOSE_FROM_LIST)
    happened_at = DateTimeLocalField(_l("Date and time"), validators=[
        DataRequired(message=BAD_TIME)], invalid_value_message=BAD_TIME)
    text = TextAreaField(_l("What happened"), validators=[
        DataRequired(message=_l("Write what happened.")), Length(max=8000)])


class ServiceForm(Form):
    description = StringField(_l("What was done"), validators=[
        DataRequired(message=_l("Describe the service.")), Length(max=500)])
    delivered_at = DateTimeLocalField(_l("Date and time"), validators=[
        DataRequired(message=BAD_TIME)], invalid_value_message=BAD_TIME)
    shift = SelectField(_l("On the shift (optional)"), coerce=optional_int, validators=[Optional()],
                        invalid_choice_message=CHOOSE_FROM_LIST, invalid_value_message=CHOOSE_FROM_LIST)
    # No Optional(): none chosen is valid, and Optional() would pass a blank entry on to the service.
    volunteers = SelectMultipleField(_l("Volunteers who helped (optional)"), coerce=int,
                                     invalid_choice_message=CHOOSE_FROM_LIST, invalid_value_message=CHOOSE_FROM_LIST,
                                     description=_l("Volunteers who held a place on the shift chosen above."))


class CaseDocumentForm(Form):
    title = StringField(_l("Title"), validators=[DataRequired(message=_l("Give the document a title.")),
                                                 Length(max=200)])
    file = FileField(_l("File"))


class HandOverForm(Form):
    """A referral or a transfer: to whom and why."""
    worker = _select(_l("Social worker"), _l("Choose the social worker."))
    reason = TextAreaField(_l("Why"), validators=[DataRequired(message=_l("Say why.")), Length(max=2000)])


class AnswerForm(Form):
    answer = TextAreaField(_l("Answer (optional)"), validators=[Optional(), Length(max=2000)])


class RevokeForm(Form):
    referral = SelectField(_l("Referral"), coerce=optional_int, validators=[DataRequired(
        message=CHOOSE_FROM_LIST)], invalid_choice_message=CHOOSE_FROM_LIST, invalid_value_message=CHOOSE_FROM_LIST)


class ReassignForm(Form):
    worker = _select(_l("New social worker"), _l("Choose the social worker who takes the cases over."))


class CaseFilters(ListFilters):
    """A case list: search by title or resident's name, the case's status and, where the reader sees the cases of
    more than one social worker, whose cases."""
    status = status_field(_l("Status"), CaseStatus)
    worker = row_field(_l("Social worker"))
