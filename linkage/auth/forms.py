from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp

from linkage.forms import Form, choices
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
    id_number = StringField(_l("Resident ID number (residents, optional)"), validators=[Optional(), Length(max=30)],
                            description=_l("If your community already knows you, this links your account to your "
                                           "record once staff confirm it."))
    # Length, common passwords and the username: the password policy (linkage/auth/passwords.py).
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    confirm = PasswordField(_l("Repeat password"), validators=[
        DataRequired(), EqualTo("password", message=_l("The two passwords differ."))])
    submit = SubmitField(_l("Register"))


class PasswordForm(Form):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=200)])
    confirm = PasswordField(_l("Repeat new password"), validators=[
        DataRequired(), EqualTo("new_password", message=_l("The two passwords differ."))])
    submit = SubmitField(_l("Change password"))
