"""Forms of skill certificates: the volunteer's claim, a social worker's approval or rejection."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import DateField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from linkage.forms import Form
from linkage.needs.forms import optional_int

CHOOSE_FROM_LIST = _l("Choose from the list.")


class ClaimForm(Form):
    skill = SelectField(_l("Skill"), coerce=optional_int,
                        validators=[DataRequired(message=_l("Choose a skill that needs a certificate."))],
                        invalid_choice_message=CHOOSE_FROM_LIST, invalid_value_message=CHOOSE_FROM_LIST)
    file = FileField(_l("Certificate (PDF, JPG or PNG)"))


class ApproveForm(Form):
    expires_on = DateField(_l("Valid until (last day)"),
                           validators=[InputRequired(message=_l("Enter the last day the certificate is valid."))])


class RejectForm(Form):
    reason = TextAreaField(_l("Why not"), validators=[DataRequired(message=_l("Give a reason: the volunteer will read it.")),
                                                      Length(max=2000)])
