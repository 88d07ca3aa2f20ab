"""Forms of the community desk: registering residents, revealing an ID number, list filters."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from linkage.community.services import CHOOSABLE_TAGS, MIN_REASON_LENGTH, PHONE_PATTERN, PHONE_PROBLEM
from linkage.forms import Form, choices, valid_id_number
from linkage.listing import ListFilters, status_field
from linkage.models import ConsentChannel, NeedChannel, NeedStatus, Role, VulnerableTag
from linkage.needs.forms import optional_int, urgency_choices



class ResidentForm(Form):
    name = StringField(_l("Full name"), validators=[
        DataRequired(message=_l("Enter the resident's name.")), Length(max=100)])
    id_number = StringField(_l("Resident ID number"), validators=[
        DataRequired(message=_l("Enter the resident's ID number.")), valid_id_number],
        description=_l("18 characters. Birth date and gender are read from it. "
                       "Stored encrypted, shown masked."))
    phone = StringField(_l("Phone"), validators=[Optional(), Regexp(PHONE_PATTERN, message=PHONE_PROBLEM)])
    address = StringField(_l("Address"), validators=[
        DataRequired(message=_l("Enter the address (building, unit, room).")), Length(max=255)])
    region = SelectField(_l("Community or grid"), coerce=optional_int, validators=[
        DataRequired(message=_l("Choose the community or grid."))],
        invalid_choice_message=_l("Choose a community or grid in your own area."),
        invalid_value_message=_l("Choose a community or grid in your own area."))
    # No Optional(): none chosen is valid, and Optional() would pass a blank entry on to the service.
    tags = SelectMultipleField(_l("Vulnerable groups"),
                               choices=choices([(t.value, t.label) for t in CHOOSABLE_TAGS]),
                               invalid_choice_message=_l("Choose groups from the list."),
                               description=_l("\"Minor\" is set from the birth date."))
    health_notes = TextAreaField(_l("Health notes"), validators=[Optional(), Length(max=2000)],
                                 description=_l("Stored encrypted; shown only with a recorded reason."))
    consent = BooleanField(_l("The resident consented to the processing of their personal data for community "
                              "services (recorded with today's date and time)"), validators=[
        DataRequired(message=_l("Record the resident's consent to the processing of their data first."))])

    def service_args(self) -> dict:
        return {
            "name": self.name.data, "id_number": self.id_number.data, "phone": self.phone.data,
            "address": self.address.data, "tags": [VulnerableTag(t) for t in self.tags.data or []],
            "health_notes": self.health_notes.data or "", "consent": bool(self.consent.data),
        }


class RejectAccountForm(Form):
    reason = StringField(_l("Reason (the person will read it)"), validators=[
        DataRequired(message=_l("Give the reason; the person will read it.")), Length(max=500)])


class RevealForm(Form):
    reason = TextAreaField(_l("Why do you need the full ID number?"), validators=[
        DataRequired(message=_l("Write why you need the full ID number.")),
        Length(min=MIN_REASON_LENGTH, max=500, message=_l(
            "Write why you need the full ID number (%(min)s to %(max)s characters).", min=MIN_REASON_LENGTH,
            max=500))],
        description=_l("Your name, the time and this reason are kept in the resident's access log."))


class AnonymizeForm(Form):
    reason = TextAreaField(_l("How did the resident ask for it?"), validators=[
        DataRequired(message=_l("Write how the resident asked for it.")), Length(max=500)],
        description=_l("E.g. a written request of a date. Kept in the resident's access log."))
    confirm = BooleanField(_l("I understand that the name, ID number, contact details and health notes are "
                              "removed for good."), validators=[DataRequired(
                                  message=_l("Tick the box to confirm."))])


class ResidentSearchForm(Form):
    """The resident list's filters (GET; no CSRF)."""

    class Meta:
        csrf = False

    q = StringField(_l("Name or full ID number"), validators=[Optional(), Length(max=100)])
    community = SelectField(_l("Community"), coerce=optional_int, validators=[Optional()])


class NeedFilterForm(Form):
    """The need list's filters (GET; no CSRF). A filter with a bad value is ignored, with a message."""

    class Meta:
        csrf = False

    status = SelectField(_l("Status"), choices=choices(
        [("", _l("Still to be done")), ("all", _l("All"))] + [(s.value, s.label) for s in NeedStatus]),
        validators=[Optional()])
    sector = SelectField(_l("Sector"), coerce=optional_int, validators=[Optional()])
    urgency = SelectField(_l("Urgency"), coerce=optional_int, validators=[Optional()],
                          choices=choices([("", _l("Any"))]) + urgency_choices())
    community = SelectField(_l("Community"), coerce=optional_int, validators=[Optional()])
    channel = SelectField(_l("Came in"), choices=choices([("", _l("Any way"))] + [(c.value, c.label) for c in NeedChannel]),
                          validators=[Optional()])

    def value(self, name: str):
        """The field's value if it is valid, else None (no filter)."""
        field = self[name]
        return None if field.errors else field.data


class WithdrawConsentForm(Form):
    """A resident withdrawing one of their own consents: only the CSRF token."""


class StaffWithdrawConsentForm(Form):
    """Staff recording a withdrawal the resident told them of."""

    channel = SelectField(_l("How did the resident tell you?"), choices=choices([
        (ConsentChannel.staff_in_person.value, _l("In person")), (ConsentChannel.by_phone.value, _l("By phone"))]),
        validators=[DataRequired()], invalid_choice_message=_l("Choose in person or by phone."))


class AccountFilters(ListFilters):
    """The accounts-to-verify list's search (name, username or phone) and what they register as."""
    role = status_field(_l("Registering as"), Role)
