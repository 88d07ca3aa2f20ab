"""Joint meeting pages: the list, convening, one meeting (agenda, minutes, decisions)."""
from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, url_for
from flask_babel import get_locale, gettext as _
from flask_login import current_user, login_required

from linkage.auth.access import require, role_required
from linkage.extensions import db
from linkage.forms import choices
from linkage.meetings import access, queries, services
from linkage.meetings.forms import (MeetingFilters, AgendaItemForm, CancelMeetingForm, CloseDecisionForm, DecisionForm, MeetingForm,
                                    MinutesForm)
from linkage.listing import matching_text, member
from linkage.models import AgendaKind, DecisionStatus, Meeting, MeetingDecision, MeetingStatus, Region, User
from linkage.needs.forms import with_placeholder
from linkage.timeutil import local_to_utc
from linkage.web import id_arg, paginate, perform

blueprint = Blueprint("meetings", __name__, url_prefix="/meetings")

# Where an agenda item's record is shown.
SUBJECT_PAGES = {"Need": ("community.need_detail", "need_id"), "Shift": ("shifts.detail", "shift_id"),
                 "Project": ("projects.detail", "project_id")}


def _meeting_or_404(meeting_id: int):
    meeting = queries.meeting_for_page(meeting_id)
    if meeting is None:
        abort(404)
    require(access.can_view(current_user, meeting))
    return meeting


def _region_choices(form: MeetingForm) -> list[Region]:
    regions = queries.region_choices(current_user)
    locale = str(get_locale())
    form.region.choices = with_placeholder(choices((r.id, r.display_name(locale)) for r in regions))
    return regions


@blueprint.get("/")
@login_required
def index():
    filters = MeetingFilters.read()
    query = queries.meetings_visible_to(current_user)
    status = member(MeetingStatus, filters.value("status"))
    query = matching_text(query if status is None else query.where(Meeting.status == status),
                          filters.value("q"), Meeting.title)
    return render_template("meetings/index.html", page=paginate(query), filters=filters,
                           can_convene=access.can_convene(current_user))


@blueprint.route("/new", methods=["GET", "POST"])
@role_required(*access.CONVENERS)
def new():
    form = MeetingForm()
    regions = _region_choices(form)
    if form.region.data is None:  # first the place (one of them, or the one asked for), then its people
        asked = id_arg("region")
        form.region.data = regions[0].id if len(regions) == 1 else (
            asked if asked in {r.id for r in regions} else None)
    region = next((r for r in regions if r.id == form.region.data), None)
    people = queries.participant_choices(region) if region is not None else []
    form.participants.choices = choices((p.id, f"{p.display_name} · {p.role.label}") for p in people)

    def convene():
        return services.convene(services.MeetingData(
            region=region, title=form.title.data or "", starts_at=local_to_utc(form.starts_at.data),
            place=form.place.data or "", participants=[db.session.get(User, i) for i in form.participants.data]),
            actor=current_user)
    outcome = perform(convene, form=form, done=lambda m: _("The meeting is convened; its participants were told."))
    if outcome:
        return redirect(url_for(".detail", meeting_id=outcome.value.id))
    return render_template("meetings/new.html", form=form, region=region, regions=regions)


def _owner_choices(form: DecisionForm, meeting) -> None:
    form.owner.choices = with_placeholder(choices((p.id, p.display_name) for p in access.decision_owners(meeting)))


def _page(meeting, **forms):
    decision_form = forms.get("decision_form") or DecisionForm(formdata=None)
    _owner_choices(decision_form, meeting)
    links = {item.id: url_for(SUBJECT_PAGES[item.subject_type][0], **{SUBJECT_PAGES[item.subject_type][1]:
                                                                      item.subject_id})
             for item in meeting.items if item.subject_type in SUBJECT_PAGES}
    return render_template(
        "meetings/detail.html", meeting=meeting, links=links, can_run=access.can_run(current_user, meeting),
        item_form=forms.get("item_form") or AgendaItemForm(formdata=None),
        minutes_form=forms.get("minutes_form") or MinutesForm(formdata=None, minutes=meeting.minutes_text),
        decision_form=decision_form, close_form=CloseDecisionForm(formdata=None),
        cancel_form=forms.get("cancel_form") or CancelMeetingForm(formdata=None),
        can_close=lambda d: access.can_close_decision(current_user, d), MeetingStatus=MeetingStatus,
        DecisionStatus=DecisionStatus, AgendaKind=AgendaKind)


@blueprint.get("/<int:meeting_id>")
@login_required
def detail(meeting_id):
    return _page(_meeting_or_404(meeting_id))


def _run(meeting_id: int, form, action, done: str, anchor: str, shown_as: str):
    """One change to a meeting by those who run it: ``action(meeting, form)`` after the form's checks; on
    success back to the meeting at ``anchor``, else the meeting page with the form (``shown_as``) and its words."""
    meeting = _meeting_or_404(meeting_id)
    require(access.can_run(current_user, meeting))
    form = form(meeting)
    if perform(lambda: action(meeting, form), form=form, done=done):
        return redirect(url_for(".detail", meeting_id=meeting.id) + anchor)
    return _page(meeting, **{shown_as: form})


@blueprint.post("/<int:meeting_id>/agenda")
@login_required
def add_item(meeting_id):
    return _run(meeting_id, lambda m: AgendaItemForm(),
                lambda m, form: services.add_item(m, form.text.data, actor=current_user),
                _("The item is on the agenda."), "#agenda", "item_form")


@blueprint.post("/<int:meeting_id>/minutes")
@login_required
def minutes(meeting_id):
    return _run(meeting_id, lambda m: MinutesForm(),
                lambda m, form: services.record_minutes(m, form.minutes.data, actor=current_user),
                _("The minutes are recorded."), "#minutes", "minutes_form")


@blueprint.post("/<int:meeting_id>/cancel")
@login_required
def cancel(meeting_id):
    return _run(meeting_id, lambda m: CancelMeetingForm(),
                lambda m, form: services.cancel(m, form.reason.data, actor=current_user),
                _("The meeting is cancelled; its participants were told."), "", "cancel_form")


def _decision_form(meeting) -> DecisionForm:
    form = DecisionForm()
    _owner_choices(form, meeting)
    return form


@blueprint.post("/<int:meeting_id>/decisions")
@login_required
def decide(meeting_id):
    # After the form's checks, so the owner is one of the choices offered.
    return _run(meeting_id, _decision_form,
                lambda m, form: services.decide(m, form.text.data, db.session.get(User, form.owner.data),
                                                form.due_on.data, actor=current_user),
                _("The decision is recorded; its owner was told."), "#decisions", "decision_form")


@blueprint.post("/decisions/<int:decision_id>/done")
@login_required
def close_decision(decision_id):
    decision = db.session.get(MeetingDecision, decision_id)
    if decision is None:
        abort(404)
    require(access.can_close_decision(current_user, decision))
    form = CloseDecisionForm()
    perform(lambda: services.close_decision(decision, form.note.data or "", actor=current_user), form=form,
            done=_("The decision is marked done."))
    return redirect(url_for(".detail", meeting_id=decision.meeting_id) + "#decisions")
