"""A volunteer's own pages: profile, my shifts, my hours."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _, get_locale
from flask_login import current_user, login_required

from linkage import settings, uploads
from linkage.auth.access import require
from linkage.downloads import send_attachment
from linkage.extensions import db
from linkage.forms import choices
from linkage.listing import member
from linkage.models import (ExceptionKind, GuardianConsent, HoursStatus, ProofStatus, Region, RegionLevel, SignUp,
                            Skill, Volunteer)
from linkage.models.types import utcnow
from linkage.records import services as record_services
from linkage.shifts.access import can_answer_offer, can_withdraw, volunteer_of
from linkage.shifts.queries import waitlist_positions
from linkage.timeutil import today
from linkage.volunteers import calendar, queries, services
from linkage.skills import queries as skill_queries
from linkage.volunteers import access
from linkage.volunteers.access import volunteer_only
from linkage.volunteers.forms import ConsentForm, ExceptionForm, HoursFilters, NoteForm, ProfileForm
from linkage.web import paginate, perform

blueprint = Blueprint("volunteers", __name__, url_prefix="/volunteers")


def _locale() -> str:
    return str(get_locale() or "zh_CN")


@blueprint.route("/profile", methods=["GET", "POST"])
@volunteer_only
def profile():
    volunteer = volunteer_of(current_user)
    form = ProfileForm(data=_initial(volunteer) if request.method == "GET" else None)
    _choices(form, volunteer)
    if perform(lambda: services.update_profile(volunteer, _profile_data(form), user=current_user,
                                               actor=current_user, today=today()),
               form=form, done=_("Your profile was saved.")):
        return redirect(url_for(".profile"))
    return _profile_page(volunteer, form=form, exception_form=ExceptionForm(formdata=None))


def _profile_page(volunteer, *, form, exception_form):
    token = calendar.token_of(volunteer)
    day = today()
    return render_template("volunteers/profile.html", form=form, volunteer=volunteer, exception_form=exception_form,
                           exceptions=[e for e in volunteer.exceptions if e.day >= day] if volunteer else [],
                           minor=services.is_minor(volunteer, day) if volunteer else False,
                           adult_age=settings.get("ADULT_AGE"), today=day, locale=_locale(),
                           certificates=skill_queries.certificates_of(volunteer) if volunteer else [],
                           standing=record_services.standing(volunteer) if volunteer else None,
                           calendar_url=url_for(".calendar_feed", token=token, _external=True) if token else None)


@blueprint.post("/profile/exceptions")
@volunteer_only
def add_exception():
    volunteer = volunteer_of(current_user)
    if volunteer is None:
        abort(404)
    form = ExceptionForm()
    if perform(lambda: services.add_exception(volunteer, actor=current_user, kind=ExceptionKind(form.kind.data),
                                              day=form.day.data, start=form.start.data, end=form.end.data,
                                              today=today()),
               form=form, done=_("The change to your availability was added.")):
        return redirect(url_for(".profile", _anchor="exceptions"))
    profile_form = ProfileForm(formdata=None, data=_initial(volunteer))
    _choices(profile_form)
    return _profile_page(volunteer, form=profile_form, exception_form=form)


@blueprint.post("/profile/exceptions/<int:exception_id>/remove")
@volunteer_only
def remove_exception(exception_id):
    volunteer = volunteer_of(current_user)
    if volunteer is None or all(e.id != exception_id for e in volunteer.exceptions):
        abort(404)   # another volunteer's change is not there to find
    perform(lambda: services.remove_exception(volunteer, exception_id, actor=current_user),
            done=_("The change to your availability was removed."))
    return redirect(url_for(".profile", _anchor="exceptions"))


def _initial(volunteer) -> dict:
    if volunteer is None:
        return {"name": current_user.display_name, "phone": current_user.phone, "community": current_user.region_id}
    return {
        "name": volunteer.name, "phone": volunteer.phone,
        "community": volunteer.region_id, "latitude": volunteer.latitude, "longitude": volunteer.longitude,
        "max_travel_km": volunteer.max_travel_km, "weekly_hours": volunteer.weekly_minutes_limit // 60,
        "skills": [skill.id for skill in volunteer.skills if not skill.is_certificate],
        "availability": [{"weekday": w.weekday, "start": w.start_time, "end": w.end_time}
                         for w in volunteer.availability],
    }


def _choices(form: ProfileForm, volunteer=None) -> None:
    locale = _locale()
    communities = db.session.scalars(sa.select(Region).where(
        Region.level == RegionLevel.community, Region.offered([volunteer.region_id] if volunteer else []))
        .order_by(Region.code))
    form.community.choices = choices([("", _("Choose…"))] + [(c.id, c.display_name(locale)) for c in communities])
    # Skills that need a certificate are claimed with one on the certificates page, not ticked here; retired
    # skills are offered only to those who already list them.
    kept = [s.id for s in volunteer.skills] if volunteer is not None else []
    form.skills.choices = skill_queries.skill_choices(skill_queries.offered_skills(kept, certificates=False), locale)


def _profile_data(form: ProfileForm) -> services.ProfileData:
    skills = db.session.scalars(sa.select(Skill).where(Skill.id.in_(form.skills.data or []))).all()
    return services.ProfileData(
        name=form.name.data, phone=form.phone.data or None, id_number=form.id_number.data,
        community=db.session.get(Region, form.community.data), latitude=form.latitude.data,
        longitude=form.longitude.data, max_travel_km=form.max_travel_km.data, weekly_hours=form.weekly_hours.data,
        skills=list(skills), windows=form.windows())


@blueprint.route("/shifts")
@volunteer_only
def my_shifts():
    volunteer = volunteer_of(current_user)
    now = utcnow()
    upcoming, page = [], None
    if volunteer is not None:
        upcoming = db.session.scalars(queries.upcoming_sign_ups(volunteer, now=now)).all()
        page = paginate(queries.past_sign_ups(volunteer, now=now))
    return render_template("volunteers/my_shifts.html", upcoming=upcoming, page=page,
                           withdrawable={s.id for s in upcoming if can_withdraw(current_user, s, now)},
                           answerable={s.id for s in upcoming if can_answer_offer(current_user, s, now)},
                           positions=waitlist_positions(upcoming), locale=_locale())


@blueprint.route("/hours")
@volunteer_only
def hours():
    volunteer = volunteer_of(current_user)
    totals = queries.minutes_by_status(volunteer) if volunteer else {s: 0 for s in HoursStatus}
    confirmed = totals[HoursStatus.approved] / 60
    thresholds = settings.get("STAR_THRESHOLDS_HOURS")
    stars, next_at = services.star_level(confirmed, thresholds)
    page, filters = None, HoursFilters.read()
    if volunteer is not None:
        page = paginate(queries.hours_entries(
            volunteer, member(HoursStatus, filters.value("status")), filters.value("q"), filters.value("since"),
            filters.value("until")))
    return render_template("volunteers/hours.html", totals=totals, confirmed=confirmed, stars=stars,
                           next_at=next_at, page=page, filters=filters, HoursStatus=HoursStatus)


# --- calendar -------------------------------------------------------------------------------------------

def _shift_url(shift) -> str:
    return url_for("shifts.detail", shift_id=shift.id, _external=True)


@blueprint.route("/calendar/<token>.ics")
def calendar_feed(token):
    """The personal feed: no log-in (calendar programs fetch it), the secret in the URL is the key."""
    volunteer = calendar.volunteer_for(token)
    if volunteer is None:
        abort(404)
    now = utcnow()
    body = calendar.calendar(calendar.feed_sign_ups(volunteer, now), now=now,
                             locale=volunteer.user.locale if volunteer.user else None, shift_url=_shift_url)
    return send_attachment(body, "linkage.ics", "text/calendar")


@blueprint.post("/calendar/new")
@volunteer_only
def calendar_reset():
    volunteer = volunteer_of(current_user)
    if volunteer is None:
        abort(404)
    perform(lambda: calendar.new_token(volunteer, actor=current_user),
            done=_("Your calendar link is ready. Any earlier link no longer works."))
    return redirect(url_for(".profile", _anchor="calendar"))


@blueprint.route("/shifts/<int:shift_id>.ics")
@volunteer_only
def shift_ics(shift_id):
    """One shift the volunteer signed up for, as a file for their calendar (the same event as in the feed)."""
    volunteer = volunteer_of(current_user)
    record = db.session.scalar(sa.select(SignUp).where(
        SignUp.shift_id == shift_id, SignUp.volunteer_id == volunteer.id)) if volunteer else None
    if record is None:
        abort(404)
    body = calendar.calendar([record], now=utcnow(), locale=current_user.locale or _locale(), shift_url=_shift_url)
    return send_attachment(body, f"shift-{shift_id}.ics", "text/calendar")


# --- supervision notes (social workers and staff of the volunteer's area; never the volunteer) ---------------

def _noted_volunteer(volunteer_id: int) -> Volunteer:
    volunteer = db.session.get(Volunteer, volunteer_id)
    if volunteer is None or not access.can_read_notes(current_user, volunteer):
        abort(404)
    return volunteer


@blueprint.get("/<int:volunteer_id>/supervision")
@login_required
def supervision(volunteer_id, form=None):
    volunteer = _noted_volunteer(volunteer_id)
    return render_template("volunteers/supervision.html", volunteer=volunteer, form=form or NoteForm(formdata=None),
                           may_write=access.can_write_notes(current_user, volunteer),
                           notes=db.session.scalars(queries.notes_on(volunteer)).all(),
                           certificates=skill_queries.certificates_of(volunteer), today=today(),
                           ProofStatus=ProofStatus, locale=_locale())


@blueprint.post("/<int:volunteer_id>/supervision/notes")
@login_required
def write_note(volunteer_id):
    volunteer = _noted_volunteer(volunteer_id)
    require(access.can_write_notes(current_user, volunteer))
    form = NoteForm()
    if perform(lambda: services.write_note(volunteer, form.text.data, actor=current_user), form=form,
               done=_("The note was saved.")):
        return redirect(url_for(".supervision", volunteer_id=volunteer.id))
    return supervision(volunteer_id, form=form)


# --- a minor's guardian consent, kept by staff --------------------------------------------------------------

def _volunteer_for_consent(volunteer_id: int) -> Volunteer:
    """The volunteer, to staff who keep consents for their area; to anyone else it does not exist."""
    require(current_user.role in access.CONSENT_KEEPERS)
    volunteer = db.session.get(Volunteer, volunteer_id)
    if volunteer is None or not access.can_record_consent(current_user, volunteer):
        abort(404)
    return volunteer


@blueprint.get("/minors")
@login_required
def minors():
    """Minor volunteers of the staff member's area, with whether a guardian's consent is on file."""
    require(current_user.role in access.CONSENT_KEEPERS)
    day = today()
    return render_template("volunteers/minors.html", volunteers=queries.minors_in(current_user, day), day=day,
                           locale=_locale())


@blueprint.route("/<int:volunteer_id>/consent", methods=["GET", "POST"])
@login_required
def consent(volunteer_id):
    volunteer = _volunteer_for_consent(volunteer_id)
    form = ConsentForm()

    def record():
        file_name, content = uploads.from_request(request.files.get(form.file.name))
        return services.record_consent(volunteer, services.ConsentData(
            guardian_name=form.guardian_name.data, relation=form.relation.data, phone=form.phone.data,
            file_name=file_name, content=content), actor=current_user, today=today())
    if perform(record, form=form, done=_("The guardian's consent was recorded.")):
        return redirect(url_for(".consent", volunteer_id=volunteer.id))
    day = today()
    return render_template("volunteers/consent.html", volunteer=volunteer, form=form, age=volunteer.age_on(day),
                           minor=services.is_minor(volunteer, day), adult_age=settings.get("ADULT_AGE"),
                           locale=_locale())


@blueprint.post("/<int:volunteer_id>/consent/withdraw")
@login_required
def withdraw_consent(volunteer_id):
    volunteer = _volunteer_for_consent(volunteer_id)
    perform(lambda: services.withdraw_consent(volunteer, actor=current_user),
            done=_("The guardian's consent was withdrawn."))
    return redirect(url_for(".consent", volunteer_id=volunteer.id))


@blueprint.get("/consents/<int:consent_id>/document")
@login_required
def consent_document(consent_id):
    """The signed consent form, to staff who keep consents for the volunteer's area (the download is in the
    access log); to anyone else it does not exist."""
    found = db.session.get(GuardianConsent, consent_id)
    if found is None or not access.can_record_consent(current_user, found.volunteer):
        abort(404)
    volunteer = found.volunteer
    read = perform(lambda: services.read_consent_document(found, actor=current_user))
    if not read:
        abort(404)
    return uploads.send_bytes(read.value, found.extension, _("Guardian consent - %(name)s", name=volunteer.name))
