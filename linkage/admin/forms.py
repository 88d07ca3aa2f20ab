from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from linkage.forms import Form, choices
from linkage.models import Role


class UserForm(Form):
    display_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=100)])
    username = StringField(_l("Username"), validators=[
        DataRequired(), Length(min=3, max=64),
        Regexp(r"^[A-Za-z0-9_.-]+$", message=_l("Use letters, digits, '.', '_' or '-' only."))])
    role = SelectField(_l("Role"), choices=choices((r.value, r.label) for r in Role), validators=[DataRequired()])
    region = SelectField(_l("Scope (region)"), coerce=int, validators=[Optional()])
    organization = SelectField(_l("Organization"), coerce=int, validators=[Optional()])
    password = PasswordField(_l("Initial password"), validators=[
        DataRequired(), Length(min=8, message=_l("Use at least 8 characters."))])
    submit = SubmitField(_l("Create account"))


class SettingForm(Form):
    """A new value for one locality setting (its rules are checked by ``linkage.settings``)."""
    value = StringField(_l("New value"), validators=[DataRequired(message=_l("Enter a value.")), Length(max=200)])
    submit = SubmitField(_l("Save"))
