from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, FieldList, FormField, PasswordField, SelectField, StringField, SubmitField
from wtforms.widgets import NumberInput
from wtforms.validators import DataRequired, Length, Optional, Regexp

from linkage.forms import Form, Subform, choices
from linkage.listing import ListFilters, status_field
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


class TargetRowForm(Subform):
    """One sector's response targets, hours per urgency; empty: the default of the urgency."""
    u1 = StringField(_l("Routine"), widget=NumberInput(min=1, max=8760), validators=[Length(max=10)])
    u2 = StringField(_l("Soon"), widget=NumberInput(min=1, max=8760), validators=[Length(max=10)])
    u3 = StringField(_l("Urgent"), widget=NumberInput(min=1, max=8760), validators=[Length(max=10)])
    u4 = StringField(_l("Critical"), widget=NumberInput(min=1, max=8760), validators=[Length(max=10)])


class TargetsForm(Form):
    """The response targets of every sector, one row each, in the order of the page."""
    rows = FieldList(FormField(TargetRowForm))
    submit = SubmitField(_l("Save targets"))


class NamesForm(Form):
    """The two names of a category, skill or region (their codes never change)."""
    name = StringField(_l("Name (Chinese)"), validators=[DataRequired(message=_l("Give the Chinese name.")),
                                                         Length(max=100)])
    name_en = StringField(_l("Name (English)"), validators=[Optional(), Length(max=100)])
    submit = SubmitField(_l("Rename"))


class CategoryForm(NamesForm):
    parent = SelectField(_l("Under"), coerce=int, validators=[Optional()])
    code = StringField(_l("Code"), description=_l("Lowercase letters, digits and '_'; it never changes."),
                       validators=[DataRequired(message=_l("Give a code.")), Length(max=31)])
    submit = SubmitField(_l("Add to the taxonomy"))


class SkillForm(NamesForm):
    code = StringField(_l("Code"), description=_l("Lowercase letters, digits and '_'; it never changes."),
                       validators=[DataRequired(message=_l("Give a code.")), Length(max=31)])
    category = SelectField(_l("Sector or category (optional)"), coerce=int, validators=[Optional()])
    is_certificate = BooleanField(_l("A certificate staff must check (e.g. first aid)"))
    submit = SubmitField(_l("Add the skill"))


class RegionForm(NamesForm):
    parent = SelectField(_l("Under"), coerce=int, validators=[DataRequired(message=_l("Choose where it belongs."))])
    code = StringField(_l("Code"), description=_l("Digits, starting with the code of the region above; it never "
                                                  "changes."),
                       validators=[DataRequired(message=_l("Give a code.")), Length(max=32)])
    submit = SubmitField(_l("Add the region"))


class UserFilters(ListFilters):
    """The account list's search (name or username) and role filter."""
    role = status_field(_l("Role"), Role)
