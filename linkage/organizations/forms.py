"""Forms: organization registration, status reasons, social workers and their log-ins."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (DateField, IntegerField, PasswordField, SelectField, SelectMultipleField, StringField,
                     SubmitField, TextAreaField)
from wtforms.validators import (DataRequired, EqualTo, InputRequired, Length, NumberRange, Optional, Regexp,
                                ValidationError)

from linkage import settings
from linkage.forms import Form, choices
from linkage.listing import ListFilters, status_field
from linkage.models import OrgStatus, OrgType, WorkerLevel
from linkage.organizations import services
from linkage.timeutil import today

GRADE_CHOICES = [(0, _l("Not graded"))] + [(n, f"{n}A") for n in range(1, 6)]
PHONE = Regexp(r"^[0-9+()\- ]{7,20}$",
               message=_l("Enter a phone number: digits, spaces, '-', '+' or brackets."))


class OrganizationForm(Form):
    name = StringField(_l("Registered name"), validators=[DataRequired(), Length(max=200)])
    org_type = SelectField(_l("Type"), choices=choices((t.value, t.label) for t in OrgType),
                           validators=[DataRequired()])
    credit_code = StringField(_l("Unified social credit code"), validators=[DataRequired()],
                              description=_l("18 characters, on the registration certificate."))
    founded_on = DateField(_l("Founded (registered) on"), validators=[DataRequired()])
    grade = SelectField(_l("Evaluation grade"), coerce=int, choices=choices(GRADE_CHOICES))
    grade_awarded_on = DateField(_l("Grade awarded on"), validators=[Optional()],
                                 description=_l("Grades are valid for five years."))
    region = SelectField(_l("Service area (street or community)"), coerce=int, validators=[DataRequired()])
    categories = SelectMultipleField(_l("Service categories"), coerce=int)
    address = StringField(_l("Address"), validators=[Optional(), Length(max=255)])
    contact_phone = StringField(_l("Phone"), validators=[Optional(), PHONE])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    capacity = IntegerField(_l("Capacity (workload units of social-worker time)"), default=4, validators=[
        InputRequired(), NumberRange(min=1, max=services.MAX_CAPACITY, message=_l(
            "Enter a number from 1 to %(max)s.", max=services.MAX_CAPACITY))])
    submit = SubmitField(_l("Submit for verification"))

    def validate_credit_code(self, field):
        org_type = OrgType(self.org_type.data) if self.org_type.data in {t.value for t in OrgType} else None
        message = services.credit_code_message(field.data, org_type)
        if message is not None:
            raise ValidationError(str(message))

    def validate_founded_on(self, field):
        message = services.founding_message(field.data, today())
        if message is not None:
            raise ValidationError(str(message))

    def validate_grade_awarded_on(self, field):
        message = services.grade_message(self.grade.data or 0, field.data, self.founded_on.data, today())
        if message is not None:
            raise ValidationError(str(message))

    def to_data(self, region, categories) -> services.OrganizationData:
        return services.OrganizationData(
            name=self.name.data, credit_code=self.credit_code.data, org_type=OrgType(self.org_type.data),
            founded_on=self.founded_on.data, region=region, grade=self.grade.data or 0,
            grade_awarded_on=self.grade_awarded_on.data, categories=categories,
            address=self.address.data or "", contact_phone=self.contact_phone.data or "",
            description=self.description.data or "", capacity=self.capacity.data)


class ReasonForm(Form):
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=2000)])


class OrganizationFilters(ListFilters):
    """The register's search (name or credit code) and status filter."""
    status = status_field(_l("Status"), OrgStatus)


class WorkerForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    level = SelectField(_l("Level"), choices=choices((level.name, level.label) for level in WorkerLevel),
                        validators=[DataRequired()])
    certificate_no = StringField(_l("Certificate number"), validators=[Optional(), Length(max=64)])
    caseload_limit = IntegerField(_l("Caseload limit"), default=lambda: settings.get("CASELOAD_LIMIT"), validators=[
        InputRequired(), NumberRange(min=1, max=200, message=_l("Enter a number from 1 to 200."))])
    submit = SubmitField(_l("Save"))

    def to_data(self) -> services.WorkerData:
        return services.WorkerData(name=self.name.data, level=WorkerLevel[self.level.data],
                                   certificate_no=self.certificate_no.data or "",
                                   caseload_limit=self.caseload_limit.data)


class WorkerLoginForm(Form):
    username = StringField(_l("Username"), validators=[
        DataRequired(), Length(min=3, max=64),
        Regexp(r"^[A-Za-z0-9_.-]+$", message=_l("Use letters, digits, '.', '_' or '-' only."))])
    password = PasswordField(_l("Initial password"), validators=[
        DataRequired(), Length(min=8, message=_l("Use at least 8 characters."))],
        description=_l("Tell it to the social worker; they should change it after signing in."))
    confirm = PasswordField(_l("Repeat password"), validators=[
        DataRequired(), EqualTo("password", message=_l("The two passwords differ."))])
    submit = SubmitField(_l("Create log-in"))
