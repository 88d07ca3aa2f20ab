"""Forms for needs: filing one, and the community's and the resident's decisions on it."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import MultipleFileField
from wtforms import (BooleanField, HiddenField, RadioField, SelectField, SelectMultipleField, StringField,
                     TextAreaField)
from wtforms.fields import DateTimeLocalField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from linkage import uploads
from linkage.extensions import db
from linkage.forms import Form, choices
from linkage.models import URGENCY_LABELS, Category, Recurrence, Skill
from linkage.timeutil import local_to_utc

BAD_TIME = _l("Enter a date and time, e.g. 2026-12-01 09:30.")


def optional_int(value):
    """Coerce a select's value, with "" (the placeholder, or "no filter") as None."""
    return None if value in ("", None) else int(value)


def with_placeholder(options, label=_l("Choose…")):
    """``options`` after an empty first option, so nothing is chosen by accident."""
    return choices([("", label)]) + list(options)


def urgency_choices():
    """"1 · 一般" … "4 · 危急", translated when shown (the choices are built once, at import)."""
    return choices([(level, _l("%(level)s · %(label)s", level=level, label=label))
                    for level, label in URGENCY_LABELS.items()])


# The consents a request asks for: (the resident's own words, staff's words for what the resident agreed to).
CONSENT_WORDING = {
    "consent": (_l("I agree that this request be shared with the social organization, social worker and "
                   "volunteers who serve it"),
                _l("The resident agrees that this request be shared with the social organization, social "
                   "worker and volunteers who serve it")),
    "data_consent": (_l("I consent again to my community keeping and using my personal data to arrange "
                        "community services"),
                     _l("The resident consents again to their personal data being kept and used to "
                        "arrange community services")),
    "photo_consent": (_l("I agree that the photos be kept and shown to those who serve it"),
                      _l("The resident agrees that the photos be kept and shown to those who serve it")),
}


class NeedForm(Form):
    """What a resident fills in for themself."""

    category = SelectField(_l("Kind of service"), coerce=optional_int, validators=[DataRequired(
        message=_l("Choose the kind of service needed."))],
        invalid_choice_message=_l("Choose a category from the list."),
        invalid_value_message=_l("Choose a category from the list."))
    title = StringField(_l("What is needed, in a few words"), validators=[
        DataRequired(message=_l("Say in a few words what is needed.")),
        Length(max=200, message=_l("Keep it under 200 characters; add details below."))])
    description = TextAreaField(_l("Details"), validators=[Optional(), Length(max=4000)],
                                description=_l("Who, where, how often; anything the helpers should know."))
    urgency = SelectField(_l("Urgency"), coerce=int, default=2, choices=urgency_choices(),
                          invalid_choice_message=_l("Choose an urgency from 1 to 4."),
                          invalid_value_message=_l("Choose an urgency from 1 to 4."))
    window_start = DateTimeLocalField(_l("From (optional)"), validators=[Optional()],
                                      invalid_value_message=BAD_TIME)
    window_end = DateTimeLocalField(_l("Until (optional)"), validators=[Optional()],
                                    invalid_value_message=BAD_TIME)
    recurrence = SelectField(_l("How often"), default=Recurrence.once.value,
                             choices=choices([(r.value, r.label) for r in Recurrence]),
                             invalid_choice_message=_l("Choose how often from the list."))
    photos = MultipleFileField(_l("Photos (optional)"), description=_l("JPG or PNG, e.g. of what needs repair."))
    # Worded for whoever fills the form in: CONSENT_WORDING.
    consent = BooleanField(description=_l("Required for every request."))
    data_consent = BooleanField()
    photo_consent = BooleanField(description=_l("Required when photos are attached."))
    # Set by "submit anyway" once the likely duplicates were shown.
    anyway = HiddenField(default="")

    by_staff = False    # the resident fills it in; staff forms say "the resident" instead of "I"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, wording in CONSENT_WORDING.items():
            self[name].label.text = wording[self.by_staff]

    def validate_window_end(self, field):
        if field.data and self.window_start.data and field.data <= self.window_start.data:
            raise ValidationError(_l("The end of the time window must come after its start."))

    def service_args(self) -> dict:
        """The validated input as arguments of ``linkage.needs.services.submit_need``."""
        return {
            "category": db.session.get(Category, self.category.data),
            "title": self.title.data,
            "description": self.description.data or "",
            "urgency": self.urgency.data,
            "window_start": local_to_utc(self.window_start.data) if self.window_start.data else None,
            "window_end": local_to_utc(self.window_end.data) if self.window_end.data else None,
            "recurrence": Recurrence(self.recurrence.data),
            "photos": self.photo_files(),
            "consent": bool(self.consent.data),
            "data_consent": bool(self.data_consent.data),
            "photo_consent": bool(self.photo_consent.data),
        }

    def photo_files(self) -> list[tuple[str, bytes]]:
        """The chosen photos as (file name, bytes), read no further than the size limit plus one byte."""
        limit = uploads.size_limit("PHOTO_MAX_MB")
        return [uploads.from_request(item, limit) for item in (self.photos.data or [])
                if getattr(item, "filename", "")]

    @property
    def skip_duplicates(self) -> bool:
        return self.anyway.data == "1"


class StaffNeedForm(NeedForm):
    """Staff and grid workers also say which skills and whether a professional is needed."""

    by_staff = True

    # No Optional(): none chosen is valid, and Optional() would pass a blank entry on to the service.
    skills = SelectMultipleField(_l("Skills the helpers need"), coerce=int,
                                 invalid_choice_message=_l("Choose skills from the list."))
    needs_professional = BooleanField(_l("Needs a professional social worker (a case), not only volunteers"))
    by_phone = BooleanField(_l("The resident asked by phone (hotline)"))
    caller_phone = StringField(_l("Caller's number (optional)"), validators=[Optional(), Length(max=32)],
                               description=_l("Pages show only its last four digits."))

    def service_args(self) -> dict:
        args = super().service_args()
        args["by_phone"] = bool(self.by_phone.data)
        args["caller_phone"] = self.caller_phone.data or None
        wanted = set(self.skills.data or [])
        args["skills"] = [db.session.get(Skill, skill_id) for skill_id in sorted(wanted)]
        args["needs_professional"] = bool(self.needs_professional.data)
        return args


class RejectForm(Form):
    reason = TextAreaField(_l("Reason (the resident will read it)"), validators=[
        DataRequired(message=_l("Give the reason; the resident will read it.")), Length(max=1000)])


class NoteForm(Form):
    """An optional note with a decision (verification, delivery, withdrawal)."""

    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=1000)])


class RateForm(Form):
    rating = RadioField(_l("How was the service?"), coerce=int, choices=choices([
        (5, _l("5 · Very good")), (4, _l("4 · Good")), (3, _l("3 · Acceptable")), (2, _l("2 · Poor")),
        (1, _l("1 · Very poor"))]), validators=[DataRequired(message=_l("Choose a rating from 1 to 5."))],
        invalid_choice_message=_l("Choose a rating from 1 to 5."),
        invalid_value_message=_l("Choose a rating from 1 to 5."))
    comment = TextAreaField(_l("Comment (optional)"), validators=[Optional(), Length(max=2000)])


def _need_choice(value):
    """The chosen need's row id as the page sent it (None when it is not one): the merge's rules decide."""
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


class MergeForm(Form):
    """Merge a need into another: chosen among the likely duplicates the page lists by their words."""
    into = RadioField(_l("The need it repeats"), coerce=_need_choice, validate_choice=False, validators=[
        DataRequired(message=_l("Choose the need this one repeats."))],
        description=_l("This need is closed as merged; its resident follows the other need."))
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=1000)])


class JoinForm(Form):
    """Join a need instead of filing the same request again (a button)."""
