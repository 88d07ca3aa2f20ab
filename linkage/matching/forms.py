from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, DecimalField, FloatField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from linkage import settings
from linkage.forms import choices
from linkage.models import MatchKind


TIME_LIMIT = settings.REGISTRY["MATCH_TIME_LIMIT"]


class NewRunForm(FlaskForm):
    kind = SelectField(_l("What to match"), choices=choices((k.value, k.label) for k in MatchKind),
                       validators=[DataRequired()])
    region = SelectField(_l("Area"), coerce=int, validators=[DataRequired()])
    week = DateField(_l("Week starting (volunteer runs)"), validators=[Optional()],
                     description=_l("Any day of the week to plan; the run covers Monday to Sunday."))
    funding_pool = DecimalField(_l("Funding pool in yuan (project award, optional)"), places=2,
                                validators=[Optional(), NumberRange(min=0, message=_l("Enter an amount of 0 or more."))])
    time_limit = FloatField(_l("Time limit in seconds"), default=lambda: settings.get("MATCH_TIME_LIMIT"), validators=[
        DataRequired(), NumberRange(min=TIME_LIMIT.minimum, max=TIME_LIMIT.maximum,
                                    message=_l("Between %(min)s and %(max)s seconds.", min=int(TIME_LIMIT.minimum),
                                               max=int(TIME_LIMIT.maximum)))])
    submit = SubmitField(_l("Start the run"))


class OverrideForm(FlaskForm):
    action = SelectField(_l("Decision"), choices=choices([("pin", _l("Pin: this pairing must hold")),
                                                          ("forbid", _l("Forbid: never pair these"))]))
    left = StringField(_l("Volunteer, bid or need"), validators=[DataRequired(), Length(max=64)])
    right = StringField(_l("Shift, project or social worker"), validators=[DataRequired(), Length(max=64)])
    reason = StringField(_l("Reason"), validators=[DataRequired(message=_l("Write down the reason.")), Length(max=500)])
    submit = SubmitField(_l("Re-run with this decision"))


class DecisionForm(FlaskForm):
    note = TextAreaField(_l("Note"), validators=[Length(max=2000)])
    submit = SubmitField(_l("Confirm"))
