"""Forms: the contract, the evaluator, an evaluation, a delivery document, a change request."""
from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (BooleanField, DateField, DecimalField, IntegerField, SelectField, SelectMultipleField, StringField,
                     SubmitField, TextAreaField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from linkage.contracts import services
from linkage.forms import Form, choices
from linkage.listing import ListFilters, status_field
from linkage.models import ChangeKind, ContractStatus, DocumentKind, Milestone
from linkage.projects.services import MAX_BUDGET


def _number(label, high, default=0, description=None):
    return IntegerField(label, default=default, description=description, validators=[
        InputRequired(), NumberRange(min=0, max=high, message=_l("Enter a number from %(low)s to %(high)s.",
                                                                    low=0, high=high))])


class ContractForm(Form):
    amount = DecimalField(_l("Amount (yuan)"), places=2, validators=[
        InputRequired(), NumberRange(min=Decimal("0.01"), max=MAX_BUDGET, message=_l("Enter an amount above zero."))],
        description=_l("The winning bid's price unless agreed otherwise."))
    term_start = DateField(_l("Contract starts"), validators=[DataRequired()],
                           description=_l("The term is one year; it can be renewed up to three years in all."))
    share_signing = _number(_l("Installment on signing (%)"), 100, 30)
    share_midterm = _number(_l("Installment after a passed mid-term check (%)"), 100, 40)
    share_final = _number(_l("Installment after a passed final evaluation (%)"), 100, 30)
    target_residents = _number(_l("Target: residents served"), 10**7)
    target_visits = _number(_l("Target: visits (shifts held)"), 10**7)
    target_hours = _number(_l("Target: service hours"), 10**7)
    submit = SubmitField(_l("Draw up the contract"))

    def fill(self, data: services.ContractData) -> None:
        self.amount.data, self.term_start.data = data.amount, data.term_start
        self.share_signing.data = data.shares[Milestone.signing]
        self.share_midterm.data = data.shares[Milestone.midterm]
        self.share_final.data = data.shares[Milestone.final]
        self.target_residents.data, self.target_visits.data = data.target_residents, data.target_visits
        self.target_hours.data = data.target_hours

    def to_data(self) -> services.ContractData:
        return services.ContractData(
            amount=self.amount.data, term_start=self.term_start.data,
            shares={Milestone.signing: self.share_signing.data, Milestone.midterm: self.share_midterm.data,
                    Milestone.final: self.share_final.data},
            target_residents=self.target_residents.data, target_visits=self.target_visits.data,
            target_hours=self.target_hours.data)


class EvaluatorForm(Form):
    evaluator = SelectField(_l("Evaluator"), coerce=int, validators=[InputRequired(message=_l("Choose an evaluator."))],
                            description=_l("A panel expert or a third-party evaluator."))
    submit = SubmitField(_l("Assign"))


class EvaluationForm(Form):
    score = DecimalField(_l("Your score (0–100)"), places=1, validators=[
        InputRequired(), NumberRange(min=0, max=100, message=_l("The score is from 0 to 100."))])
    financial_note = TextAreaField(_l("Use of the funds"), validators=[Optional(), Length(max=5000)])
    comment = TextAreaField(_l("Findings"), validators=[Optional(), Length(max=10000)])
    passed = BooleanField(_l("Passed"))
    submit = SubmitField(_l("Record the evaluation"))

    def to_data(self) -> services.EvaluationData:
        return services.EvaluationData(score=float(self.score.data) if self.score.data is not None else None,
                                       passed=bool(self.passed.data), financial_note=self.financial_note.data or "",
                                       comment=self.comment.data or "")


class DocumentForm(Form):
    kind = SelectField(_l("Kind"), choices=choices((k.value, k.label) for k in DocumentKind))
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    file = FileField(_l("File"))
    submit = SubmitField(_l("Upload"))


class ChangeForm(Form):
    kind = SelectField(_l("What changes"), choices=choices((k.value, k.label) for k in ChangeKind))
    new_end = DateField(_l("New end of the service"), validators=[Optional()],
                        description=_l("For a change of schedule: the day the service is to end."))
    team = SelectMultipleField(_l("New team"), coerce=int,
                               description=_l("For a change of team: tick everyone who will deliver the service."))
    description = TextAreaField(_l("The change and why"), validators=[DataRequired(), Length(max=5000)])
    submit = SubmitField(_l("Ask for approval"))

    def to_data(self, team) -> services.ChangeData:
        kind = ChangeKind(self.kind.data) if self.kind.data in {k.value for k in ChangeKind} else None
        return services.ChangeData(kind=kind, description=self.description.data or "", new_end=self.new_end.data,
                                   team=team)


class ContractFilters(ListFilters):
    """The contract list's search (project or organization) and status filter."""
    status = status_field(_l("Status"), ContractStatus)
