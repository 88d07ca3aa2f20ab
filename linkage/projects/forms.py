"""Forms: a project from open needs, a bid, technical scores, the award."""
from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from wtforms import (BooleanField, DateField, DateTimeLocalField, DecimalField, FieldList, FormField, HiddenField,
                     IntegerField, RadioField, SelectField, SelectMultipleField, StringField, SubmitField,
                     TextAreaField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from linkage import settings
from linkage.forms import Form, Subform, choices
from linkage.listing import ListFilters, row_field, status_field
from linkage.models import DEFAULT_CRITERIA, BidStatus, ProjectStatus, WorkerLevel
from linkage.organizations.forms import GRADE_CHOICES
from linkage.projects import services
from linkage.projects.panels import MAX_CRITERIA, CriterionData
from linkage.timeutil import LOCAL_TZ, local_to_utc, now

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]


def _count(label, low, high, default):
    return IntegerField(label, default=default, validators=[
        InputRequired(), NumberRange(min=low, max=high, message=_l("Enter a number from %(low)s to %(high)s.",
                                                                    low=low, high=high))])


class ProjectForm(Form):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=10000)])
    region = SelectField(_l("Area (owner scope)"), coerce=int, validators=[DataRequired()])
    needs = SelectMultipleField(_l("Needs covered"), coerce=int, validate_choice=False)
    categories = SelectMultipleField(
        _l("Service categories"), coerce=int,
        description=_l("Leave empty to use the categories of the needs covered."))
    budget = DecimalField(_l("Budget (yuan)"), places=2, validators=[
        InputRequired(), NumberRange(min=Decimal("0.01"), max=services.MAX_BUDGET,
                                     message=_l("Enter a budget above zero."))])
    service_start = DateField(_l("Service starts"), validators=[DataRequired()])
    service_end = DateField(_l("Service ends"), validators=[DataRequired()],
                            description=_l("A term is normally at most one year."))
    multi_year = BooleanField(_l("Stable, funded service: a term over one year (up to three) is intended"))
    bidding_deadline = DateTimeLocalField(_l("Bidding deadline"), format=DATETIME_FORMATS, tz=LOCAL_TZ,
                                          validators=[DataRequired(message=_l("Enter a date and time."))])
    price_weight = _count(_l("Price weight (%)"), 0, 100, lambda: round(settings.get("DEFAULT_PRICE_WEIGHT") * 100))
    min_grade = SelectField(_l("Minimum grade"), coerce=int, choices=choices(
        [(0, _l("Any (graded or not)"))] + GRADE_CHOICES[1:]))
    min_years = _count(_l("Minimum years since founding"), 0, 50, 0)
    required_workers = _count(_l("Social workers required"), 0, 50, 1)
    required_worker_level = SelectField(_l("At or above the level"), choices=choices(
        (level.name, level.label) for level in WorkerLevel))
    target_beneficiaries = _count(_l("Target: beneficiaries"), 0, 10**7, 0)
    target_hours = _count(_l("Target: service hours"), 0, 10**7, 0)
    target_visits = IntegerField(_l("Target: visits (shifts held)"), default=0, validators=[
        Optional(), NumberRange(min=0, max=10**7, message=_l("Enter a number from %(low)s to %(high)s.", low=0,
                                                              high=10**7))])
    workload = _count(_l("Workload (units of social-worker time)"), 1, 100, 1)
    submit = SubmitField(_l("Save draft"))

    def validate_service_end(self, field):
        message = services.term_message(self.service_start.data, field.data, self.multi_year.data)
        if message is not None:
            raise ValidationError(str(message))

    def validate_bidding_deadline(self, field):
        message = services.deadline_message(local_to_utc(field.data), self.service_start.data, now())
        if message is not None:
            raise ValidationError(str(message))

    def to_data(self, region, categories, needs) -> services.ProjectData:
        return services.ProjectData(
            title=self.title.data, description=self.description.data or "", region=region,
            budget=self.budget.data, service_start=self.service_start.data, service_end=self.service_end.data,
            multi_year=self.multi_year.data, bidding_deadline=local_to_utc(self.bidding_deadline.data),
            needs=needs, categories=categories, price_weight=self.price_weight.data / 100,
            min_grade=self.min_grade.data or 0, min_years=self.min_years.data,
            required_workers=self.required_workers.data,
            required_worker_level=WorkerLevel[self.required_worker_level.data],
            target_beneficiaries=self.target_beneficiaries.data, target_hours=self.target_hours.data,
            target_visits=self.target_visits.data or 0,
            workload=self.workload.data)


class BidForm(Form):
    price = DecimalField(_l("Price (yuan)"), places=2, validators=[
        InputRequired(), NumberRange(min=Decimal("0.01"), message=_l("Enter a price above zero."))])
    proposal = TextAreaField(_l("Proposal"), validators=[DataRequired(), Length(max=20000)],
                             description=_l("How you will deliver the service: plan, methods, schedule."))
    team = SelectMultipleField(_l("Proposed team"), coerce=int)
    workload = IntegerField(_l("Workload (units of social-worker time)"), default=1, validators=[
        InputRequired(), NumberRange(min=1, max=100, message=_l("Enter a number from 1 to 100."))])
    no_violation_declared = BooleanField(_l("We declare that the organization had no major violation of law "
                                            "in the last three years."))
    submit = SubmitField(_l("Submit bid"))

    def to_data(self, team) -> services.BidData:
        return services.BidData(price=self.price.data, proposal=self.proposal.data or "", team=team,
                                workload=self.workload.data,
                                no_violation_declared=self.no_violation_declared.data)


def scores_form(bids):
    """One field per valid bid for the panel's technical score (0–100), named ``bid_<id>``."""

    class ScoresForm(Form):
        submit = SubmitField(_l("Save scores"))

    for bid in bids:
        setattr(ScoresForm, f"bid_{bid.id}", DecimalField(
            bid.organization.name, places=2, default=services.panel_score(bid), validators=[
                Optional(),
                NumberRange(min=0, max=100, message=_l("A technical score is between 0 and 100."))]))
    return ScoresForm()


class AwardForm(Form):
    bid = RadioField(_l("Winning bid"), coerce=int, validators=[InputRequired(message=_l("Choose a bid."))])
    note = TextAreaField(
        _l("Reason for the choice"), validators=[Optional(), Length(max=2000)],
        description=_l("Required when the chosen bid does not have the highest total score."))
    submit = SubmitField(_l("Award"))


# --------------------------------------------------------------------------- the expert panel


class CriterionRow(Subform):
    """One technical criterion: a name and its weight (% of the technical side); an empty row is unused."""
    code = HiddenField()
    name = StringField(_l("Criterion"), validators=[Optional(), Length(max=200)])
    weight = IntegerField(_l("Weight (%)"), validators=[
        Optional(), NumberRange(min=1, max=100, message=_l("Each weight is from 1 to 100."))])


class CriteriaForm(Form):
    criteria = FieldList(FormField(CriterionRow), min_entries=MAX_CRITERIA, max_entries=MAX_CRITERIA)
    submit = SubmitField(_l("Save criteria"))

    def fill(self, criteria) -> None:
        rows = [{"code": c.code, "name": str(c.label), "weight": c.weight} for c in criteria]
        for entry, row in zip(self.criteria, rows):
            entry.form.code.data, entry.form.name.data, entry.form.weight.data = row["code"], row["name"], row["weight"]

    def to_rows(self) -> list:
        """The rows filled in; a default criterion whose name was left as shown keeps its code."""
        rows = []
        for entry in self.criteria:
            code, weight = entry.form.code.data or "", entry.form.weight.data
            name = (entry.form.name.data or "").strip()
            if not name and weight is None:
                continue
            keep = code in DEFAULT_CRITERIA and name == str(DEFAULT_CRITERIA[code][0])
            rows.append(CriterionData(name=name, weight=weight, code=code if keep else ""))
        return rows


class AssignExpertForm(Form):
    expert = SelectField(_l("Expert"), coerce=int, validators=[InputRequired(message=_l("Choose an expert."))])
    submit = SubmitField(_l("Put on the panel"))


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class DeclarationForm(Form):
    ties = MultiCheckboxField(_l("Organizations I am tied to (employment, membership, family, money)"), coerce=int)
    no_conflict = BooleanField(_l("I declare that I have no conflict of interest with any other bidder, and will "
                                  "score fairly and keep the bids confidential."))
    statement = TextAreaField(_l("Anything else to declare"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Sign the declaration"))


def panel_scores_form(bids, criteria, mine: dict):
    """One field per bid and criterion (0–100), named ``score_<bid id>_<criterion id>``; ``mine`` holds the
    expert's scores so far by (bid id, criterion id)."""

    class PanelScoresForm(Form):
        submit = SubmitField(_l("Save my scores"))

    for bid in bids:
        for criterion in criteria:
            setattr(PanelScoresForm, f"score_{bid.id}_{criterion.id}", DecimalField(
                criterion.label, places=1, default=mine.get((bid.id, criterion.id)), validators=[
                    Optional(), NumberRange(min=0, max=100, message=_l("A score is between 0 and 100."))]))
    return PanelScoresForm()


# --------------------------------------------------------------------------- complaints


class ComplaintForm(Form):
    text = TextAreaField(_l("Your complaint"), validators=[
        DataRequired(message=_l("Say what you complain about and why.")), Length(max=5000)],
        description=_l("What in the award you contest, and why; civil affairs answer in writing."))
    submit = SubmitField(_l("File the complaint"))


class AnswerForm(Form):
    decision = RadioField(_l("Decision"), choices=choices([
        ("dismissed", _l("Dismissed: the award stands")),
        ("upheld", _l("Upheld: the award is set aside and the bids are evaluated again"))]),
        validators=[InputRequired(message=_l("Choose a decision."))])
    answer = TextAreaField(_l("Answer"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Answer"))


class BidFilters(ListFilters):
    """A list of bids: search by project title (an organization's bids) or organization name (a project's bids),
    and the bid's status; never by price, which may be sealed."""
    status = status_field(_l("Status"), BidStatus)


class ProjectFilters(ListFilters):
    """The project list's search (title) and filters by status and category."""
    status = status_field(_l("Status"), ProjectStatus)
    category = row_field(_l("Category"))
