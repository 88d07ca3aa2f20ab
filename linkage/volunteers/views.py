"""A volunteer's own pages: profile, my shifts, my hours."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _, get_locale
from flask_login import current_user

from linkage import settings
from linkage.extensions import db
from linkage.forms import choices
from linkage.models import HoursStatus, Region, RegionLevel, SignUp, Skill
from linkage.models.types import utcnow
from linkage.records import services as record_services
from linkage.shifts.access import can_withdraw, volunteer_of
from linkage.shifts.queries import waitlist_positions
from linkage.timeutil import today
from linkage.volunteers import calendar, queries, services
from linkage.volunteers.access import volunteer_only
from linkage.volunteers.forms import ProfileForm
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
    token = calendar.token_of(volunteer)
    return render_template("volunteers/profile.html", form=form, volunteer=volunteer,
                           standing=record_services.standing(volunteer) if volunteer else None,
                           calendar_url=url_for(".calendar_feed", token=token, _external=True) if token else None)


def _initial(volunteer) -> dict:
    if volunteer is None:
        return {"name": current_user.display_name, "phone": current_user.phone, "community": current_user.region_id}
    return {
        "name": volunteer.name, "phone": volunteer.phone, "birth_date": volunteer.birth_date,
        "community": volunteer.region_id, "latitude": volunteer.latitude, "longitude": volunteer.longitude,
        "max_travel_km": volunteer.max_travel_km, "weekly_hours": volunteer.weekly_minutes_limit // 60,
        "skills": [skill.id for skill in volunteer.skills], "guardian_consent": volunteer.guardian_consent,
        "availability": [{"weekday": w.weekday, "start": w.start_time, "end": w.end_time}
                         for w in volunteer.availability],
    }


def _choices(form: ProfileForm, volunteer=None) -> None:
    locale = _locale()
    communities = db.session.scalars(sa.select(Region).where(
        Region.level == RegionLevel.community, Region.offered([volunteer.region_id] if volunteer else []))
        .order_by(Region.code))
    form.community.choices = choices([("", _("Choose…"))] + [(c.id, c.display_name(locale)) for c in communities])
    kept = [s.id for s in volunteer.skills] if volunteer is not None else []
    skills = db.session.scalars(sa.select(Skill).where(Skill.offered(kept)).order_by(Skill.code))
    form.skills.choices = choices(
        (s.id, _("%(skill)s (needs a certificate)", skill=s.display_name(locale)) if s.is_certificate
         else s.display_name(locale)) for s in skills)


def _profile_data(form: ProfileForm) -> services.ProfileData:
    skills = db.session.scalars(sa.select(Skill).where(Skill.id.in_(form.skills.data or []))).all()
    return services.ProfileData(
        name=form.name.data, phone=form.phone.data or None, birth_date=form.birth_date.data,
        community=db.session.get(Region, form.community.data), latitude=form.latitude.data,
        longitude=form.longitude.data, max_travel_km=form.max_travel_km.data, weekly_hours=form.weekly_hours.data,
        skills=list(skills), guardian_consent=form.guardian_consent.data, windows=form.windows())


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
                           positions=waitlist_positions(upcoming), locale=_locale())


@blueprint.route("/hours")
@volunteer_only
def hours():
    volunteer = volunteer_of(current_user)
    totals = queries.minutes_by_status(volunteer) if volunteer else {s: 0 for s in HoursStatus}
    confirmed = totals[HoursStatus.approved] / 60
    thresholds = settings.get("STAR_THRESHOLDS_HOURS")
    stars, next_at = services.star_level(confirmed, thresholds)
    page = None
    if volunteer is not None:
        page = paginate(queries.hours_entries(volunteer))
    return render_template("volunteers/hours.html", totals=totals, confirmed=confirmed, stars=stars,
                           next_at=next_at, page=page, HoursStatus=HoursStatus)


# --- calendar -------------------------------------------------------------------------------------------

def _ics(body: bytes, filename: str) -> Response:
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


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
    return _ics(body, "linkage.ics")


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
    return _ics(body, f"shift-{shift_id}.ics")
