from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp

from linkage.forms import Form, choices, valid_id_number
from linkage.models import Role


class LoginForm(Form):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    remember = BooleanField(_l("Keep me signed in"))
    submit = SubmitField(_l("Sign in"))


class RegisterForm(Form):
    role = SelectField(_l("I am registering as"), choices=choices([
        (Role.volunteer.value, _l("Volunteer")),
        (Role.resident.value, _l("Resident")),
        (Role.org_admin.value, _l("Social organization (administrator)")),
    ]), validators=[DataRequired()])
    display_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=100)])
    username = StringField(_l("Username"), validators=[
        DataRequired(), Length(min=3, max=64),
        Regexp(r"^[A-Za-z0-9_.-]+$", message=_l("Use letters, digits, '.', '_' or '-' only."))])
    phone = StringField(_l("Mobile phone"), validators=[
        Optional(), Regexp(r"^1\d{10}$", message=_l("Enter an 11-digit mainland mobile number."))])
    community = SelectField(_l("Community"), coerce=int, validators=[DataRequired()])
    id_number = StringField(_l("Resident ID number"), validators=[Optional(), Length(max=40)],
                            render_kw={"autocomplete": "off"},
                            description=_l("Volunteers register under their real name: 18 characters, required. "
                                           "Residents may give it so that staff link the account to the record "
                                           "their community already keeps. It is stored encrypted and shown "
                                           "masked."))
    consent = BooleanField(_l("I consent to my community keeping and using my personal data to arrange community "
                              "services (residents)"),
                           description=_l("Residents only. You can see and withdraw your consents on your pages."))
    # Length, common passwords and the username: the password policy (linkage/auth/passwords.py).
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    confirm = PasswordField(_l("Repeat password"), validators=[
        DataRequired(), EqualTo("password", message=_l("The two passwords differ."))])
    submit = SubmitField(_l("Register"))

    def validate_id_number(self, field):
        if self.role.data == Role.volunteer.value:
            valid_id_number(self, field)


class PasswordForm(Form):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=200)])
    confirm = PasswordField(_l("Repeat new password"), validators=[
        DataRequired(), EqualTo("new_password", message=_l("The two passwords differ."))])
    submit = SubmitField(_l("Change password"))
