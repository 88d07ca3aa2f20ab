"""Shift pages: browse, detail, create/edit/cancel, sign-up, roster with check-in/out and hours."""
from __future__ import annotations

import segno
import sqlalchemy as sa
from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import format_datetime, gettext as _, get_locale
from flask_login import current_user, login_required

from linkage import exports
from linkage.auth.access import require, role_required
from linkage.extensions import db
from linkage.forms import choices
from linkage.models import (FINISHED_STATUSES, HOLDING_STATUSES, HoursStatus, Need, Project, Region, RegionLevel, Role, Shift, ShiftStatus, SignUp,
                            SignUpStatus, Skill, SocialWorker)
from linkage.models.types import utcnow
from linkage.ratings import queries as rating_queries
from linkage.shifts import access, codes, places, queries, series, services
from linkage.shifts.access import (LIST_ROLES, PROJECT_CREATORS, can_create_community_activity,
                                   can_create_for_project, can_edit, can_run, can_view, social_worker_of,
                                   volunteer_of, volunteer_street, winning_organization_id)
from linkage.skills.queries import offered_skills, skill_choices
from linkage.shifts.forms import CancelShiftForm, FilterForm, HoursForm, PendingHoursFilters, ShiftForm, TimeForm
from linkage.timeutil import local_to_utc, to_local
from linkage.volunteers import access as volunteer_access
from linkage.web import id_arg, paginate, paginate_list, perform

blueprint = Blueprint("shifts", __name__, url_prefix="/shifts")


def _locale() -> str:
    return str(get_locale() or "zh_CN")


def _get_shift(shift_id: int) -> Shift:
    shift = queries.shift_for_page(shift_id)
    if shift is None:
        abort(404)
    return shift


# --- browsing ---------------------------------------------------------------------------------------

@blueprint.route("/")
@role_required(*LIST_ROLES)
def index():
    volunteer, form, filters, query, now = _shift_search()
    distances = {}
    if volunteer is not None:  # only the shifts the volunteer may take, the rule applied to a bounded window
        page = paginate_list(queries.search(query, volunteer, filters, now=now, locale=_locale()))
        distances = {s.id: queries.distance_km(volunteer, s) for s in page.items}
    else:
        page = paginate(query)
    return render_template("shifts/index.html", page=page, form=form, places=queries.places(page.items),
                           mine=queries.sign_ups_of(volunteer, (s.id for s in page.items)),
                           volunteer=volunteer, distances=distances, can_add=access.can_add_shifts(current_user),
                           can_filter_status=current_user.role != Role.volunteer, locale=_locale())


def _shift_search():
    """The shift list's filters as the user set them, and the scoped query they give."""
    volunteer = volunteer_of(current_user) if current_user.role == Role.volunteer else None
    form = FilterForm(formdata=request.args)
    _filter_choices(form, volunteer)
    filters = _filters(form) if form.validate() else queries.ShiftFilters(fits=volunteer is not None)
    now = utcnow()
    return volunteer, form, filters, queries.apply_filters(
        queries.shifts_visible_to(current_user, volunteer, now=now), filters, now=now), now


@blueprint.route("/export.<any(xlsx, csv):kind>")
@role_required(*LIST_ROLES)
def export(kind):
    """Exactly the shifts the list shows for the same filters, every page of them."""
    volunteer, _form, filters, query, now = _shift_search()
    shifts = (queries.search(query, volunteer, filters, now=now, locale=_locale()) if volunteer is not None
              else db.session.scalars(query).unique())
    headers, rows = exports.shifts(shifts, _locale())
    return exports.respond(current_user, "shifts", kind, headers, rows)


def _filter_choices(form: FilterForm, volunteer) -> None:
    if current_user.role == Role.volunteer:
        scope = volunteer_street(volunteer) if volunteer else current_user.region
    else:
        scope = current_user.region if current_user.role != Role.admin else None
    query = sa.select(Region).where(Region.level == RegionLevel.community).order_by(Region.code)
    if scope is not None:
        query = query.where(Region.path.startswith(scope.path))
    form.community.choices = choices([("", _("All communities"))] + [
        (r.id, r.display_name(_locale())) for r in db.session.scalars(query)])
    # A filter names retired skills too: past shifts asked for them.
    form.skill.choices = choices([("", _("Any skill"))]) + skill_choices(
        db.session.scalars(sa.select(Skill).order_by(Skill.code)), _locale())


def _filters(form: FilterForm) -> queries.ShiftFilters:
    volunteer_view = current_user.role == Role.volunteer
    return queries.ShiftFilters(
        date_from=form.date_from.data, date_to=form.date_to.data, community_id=form.community.data,
        skill_id=form.skill.data, urgency=form.urgency.data,
        status=ShiftStatus(form.status.data) if form.status.data and not volunteer_view else None,
        when="upcoming" if volunteer_view else (form.when.data or "upcoming"),
        within_km=form.within_km.data if volunteer_view else None,
        fits=volunteer_view and (form.show.data or "fits") == "fits")


@blueprint.route("/<int:shift_id>")
@login_required
def detail(shift_id):
    shift = _get_shift(shift_id)
    volunteer = volunteer_of(current_user)
    require(can_view(current_user, shift, volunteer))
    mine = queries.sign_ups_of(volunteer, [shift.id]).get(shift.id)
    position = queries.waitlist_position(mine) if mine and mine.status == SignUpStatus.waitlisted else None
    now = utcnow()
    return render_template("shifts/detail.html", shift=shift, places=queries.places([shift])[shift.id],
                           pattern=series.pattern_words(shift.series) if shift.series_id else None,
                           others=_series_dates(shift, volunteer),
                           fill=places.slot_fill(shift), mine=mine, position=position, volunteer=volunteer,
                           can_edit=can_edit(current_user, shift), can_run=can_run(current_user, shift),
                           can_change=access.can_change(current_user, shift, now),
                           can_cancel=access.can_cancel(current_user, shift),
                           can_sign_up=access.can_sign_up(current_user, shift, volunteer, mine, now),
                           can_withdraw=access.can_withdraw(current_user, mine, now),
                           can_answer=access.can_answer_offer(current_user, mine, now),
                           cutoff=access.cancel_cutoff(shift), locale=_locale(),
                           visit_rollup=rating_queries.for_shift(shift) if shift.needs else None)


def _series_dates(shift: Shift, volunteer) -> list[Shift]:
    """The other shifts of the series the reader may open."""
    return [other for other in series.siblings(shift) if can_view(current_user, other, volunteer)]


# --- creating, editing, cancelling ------------------------------------------------------------------

@blueprint.route("/new", methods=["GET", "POST"])
@role_required(*PROJECT_CREATORS, Role.community_staff)
def new():
    project = None
    if request.args.get("project"):
        project = db.session.get(Project, id_arg("project") or 0) or abort(404)
        require(can_create_for_project(current_user, project))
    elif current_user.role in PROJECT_CREATORS or (
            current_user.role == Role.admin and not request.args.get("activity")):
        projects = db.session.scalars(queries.creatable_projects(current_user)).all()
        return render_template("shifts/choose_project.html", projects=projects,
                               can_add_activity=can_create_community_activity(current_user))
    else:
        require(can_create_community_activity(current_user))
    form = ShiftForm(data=_defaults(project) if request.method == "GET" else None)
    _form_choices(form, project)
    created = perform(lambda: _create(form, project), form=form, done=_created_message)
    if created:
        return redirect(url_for(".detail", shift_id=created.value.id))
    return render_template("shifts/form.html", form=form, project=project, shift=None)


def _create(form: ShiftForm, project) -> Shift:
    """One shift, or with "repeat weekly" a series of them (the first one is shown)."""
    data = _shift_data(form)
    if not form.repeat.data:
        return services.create_shift(data, project=project, actor=current_user)
    pattern = series.WeeklyPattern(
        weekdays=list(form.weekdays.data or []), first_date=form.start.data.date(),
        last_date=form.repeat_until.data, weeks=form.repeat_weeks.data if form.repeat_until.data is None else None,
        skipped=form.skipped())
    return series.create_series(data, pattern, project=project, actor=current_user).shifts[0]


def _created_message(shift: Shift) -> str:
    if shift.series_id is None:
        return _("The shift was created; volunteers can now see it.")
    return _("%(n)s shifts were created, one on each date of the series; volunteers can now see them.",
             n=len(shift.series.shifts))


@blueprint.route("/<int:shift_id>/edit", methods=["GET", "POST"])
@login_required
def edit(shift_id):
    shift = _get_shift(shift_id)
    require(can_edit(current_user, shift))
    form = ShiftForm(data=_initial(shift) if request.method == "GET" else None)
    _form_choices(form, shift.project, shift)
    if shift.series_id is not None and form.scope.data == "later":
        action = lambda: series.update_from(shift, _shift_data(form), actor=current_user)  # noqa: E731
        done = lambda changed: _("%(n)s shifts of the series were saved; everyone signed up was told about "  # noqa: E731
                                 "the change.", n=len(changed))
    else:
        action = lambda: services.update_shift(shift, _shift_data(form), actor=current_user)  # noqa: E731
        done = _("The shift was saved; everyone signed up was told about the change.")
    if perform(action, form=form, done=done):
        return redirect(url_for(".detail", shift_id=shift_id))
    return render_template("shifts/form.html", form=form, project=shift.project, shift=shift,
                           pattern=series.pattern_words(shift.series) if shift.series_id else None)


@blueprint.route("/<int:shift_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel(shift_id):
    shift = _get_shift(shift_id)
    require(can_edit(current_user, shift))
    form = CancelShiftForm()
    later = shift.series_id is not None and form.scope.data == "later"
    if perform(lambda: series.cancel(shift, form.reason.data, later=later, actor=current_user), form=form,
               done=lambda cancelled: _("%(n)s shifts were cancelled and everyone signed up was notified.",
                                        n=len(cancelled)) if later else
               _("The shift was cancelled and everyone signed up was notified.")):
        return redirect(url_for(".detail", shift_id=shift_id))
    return render_template("shifts/cancel.html", form=form, shift=shift,
                           pattern=series.pattern_words(shift.series) if shift.series_id else None)


def _defaults(project):
    worker = social_worker_of(current_user)
    community = current_user.region_id if current_user.role == Role.community_staff else None
    return {"lead": worker.id if worker else None, "community": community, "min_volunteers": 1,
            "first_come": 1, "slots": [{"skill": None, "count": None}]}


def _initial(shift: Shift) -> dict:
    return {
        "title": shift.title, "description": shift.description, "community": shift.region_id,
        "place": shift.place, "latitude": shift.latitude, "longitude": shift.longitude,
        "start": to_local(shift.start).replace(tzinfo=None), "end": to_local(shift.end).replace(tzinfo=None),
        "urgency": shift.urgency, "min_volunteers": shift.min_volunteers, "lead": shift.lead_id,
        "first_come": int(shift.first_come), "requires_insurance": shift.requires_insurance,
        "insurance_note": shift.insurance_note, "needs": [need.id for need in shift.needs],
        "trains_skill": shift.trains_skill_id,
        "slots": [{"skill": slot.skill_id, "count": slot.count} for slot in shift.slots],
    }


def _form_choices(form: ShiftForm, project, shift=None) -> None:
    locale = _locale()
    communities = db.session.scalars(queries.communities_for(current_user, project)).all()
    if shift is not None and shift.region not in communities:
        communities.append(shift.region)
    form.community.choices = choices([("", _("Choose…"))] + [(c.id, c.display_name(locale)) for c in communities])
    community = communities[0] if project is None and len(communities) == 1 else None
    leads = db.session.scalars(queries.lead_candidates(
        project, community or (shift.region if shift else None), winning_organization_id(project))).all()
    if shift is not None and shift.lead is not None and shift.lead not in leads:
        leads.append(shift.lead)
    none_label = _("Choose…") if project is not None else _("None: community staff lead")
    form.lead.choices = choices([("", none_label)] + [(w.id, f"{w.name} · {w.level.label}") for w in leads])
    needs = db.session.scalars(queries.servable_needs(
        project, community or (shift.region if shift else None))).all()
    if shift is not None:
        needs += [need for need in shift.needs if need not in needs]
    form.needs.choices = choices((n.id, f"{n.title} · {n.urgency_label}") for n in needs)
    kept = [slot.skill_id for slot in shift.slots] if shift is not None else []
    form.set_skill_choices(offered_skills(kept), locale)


def _shift_data(form: ShiftForm) -> services.ShiftData:
    skills = {s.id: s for s in db.session.scalars(
        sa.select(Skill).where(Skill.id.in_([k for k, _c in form.slot_rows() if k is not None])))}
    needs = db.session.scalars(sa.select(Need).where(Need.id.in_(form.needs.data or []))).all()
    return services.ShiftData(
        title=form.title.data, description=form.description.data or "",
        community=db.session.get(Region, form.community.data), place=form.place.data,
        latitude=form.latitude.data, longitude=form.longitude.data,
        start=local_to_utc(form.start.data), end=local_to_utc(form.end.data), urgency=form.urgency.data,
        min_volunteers=form.min_volunteers.data,
        slots=[(skills.get(skill_id) if skill_id else None, count) for skill_id, count in form.slot_rows()],
        lead=db.session.get(SocialWorker, form.lead.data) if form.lead.data else None,
        first_come=bool(form.first_come.data), requires_insurance=form.requires_insurance.data,
        insurance_note=form.insurance_note.data or "", needs=list(needs),
        trains_skill=db.session.get(Skill, form.trains_skill.data) if form.trains_skill.data else None)


# --- sign-up ----------------------------------------------------------------------------------------

@blueprint.post("/<int:shift_id>/sign-up")
@role_required(Role.volunteer)
def sign_up(shift_id):
    shift = queries.shift_to_sign_up(shift_id)
    if shift is None:
        abort(404)
    volunteer = volunteer_of(current_user, with_skills=True)
    require(volunteer is not None and can_view(current_user, shift, volunteer))
    # The message is chosen in the transaction, from the sign-up as written: nothing is read again after
    # the commit.
    perform(lambda: _sign_up_message(places.sign_up(shift, volunteer, actor=current_user)),
            done=lambda message: message)
    return redirect(url_for(".detail", shift_id=shift_id))


def _sign_up_message(record: SignUp) -> tuple[str, str]:
    """What a volunteer reads after signing up, with its flash category."""
    if record.status == SignUpStatus.assigned:
        return _("You have a place on this shift. Thank you!"), "success"
    if record.status == SignUpStatus.waitlisted:
        return _("This shift is full; you are number %(n)s on the waiting list.",
                 n=queries.waitlist_position(record)), "warning"
    return _("Your request was recorded; a match run decides, and you will be notified."), "success"


@blueprint.post("/<int:shift_id>/withdraw")
@role_required(Role.volunteer)
def withdraw(shift_id):
    record = _my_sign_up(shift_id)
    done = {SignUpStatus.waitlisted: _("You left the waiting list."),
            SignUpStatus.requested: _("Your request was withdrawn.")}.get(
        record.status, _("Your sign-up was cancelled and the place given to the next volunteer."))
    perform(lambda: places.cancel_sign_up(record, actor=current_user), done=done)
    return _back_to(shift_id)


def _back_to(shift_id: int):
    if request.form.get("next") == "my_shifts":
        return redirect(url_for("volunteers.my_shifts"))
    return redirect(url_for(".detail", shift_id=shift_id))


def _my_sign_up(shift_id: int) -> SignUp:
    volunteer = volunteer_of(current_user)
    require(volunteer is not None)
    record = db.session.scalar(sa.select(SignUp).where(
        SignUp.shift_id == shift_id, SignUp.volunteer_id == volunteer.id))
    if record is None:
        abort(404)
    return record


@blueprint.route("/<int:shift_id>/offer")
@role_required(Role.volunteer)
def offer(shift_id):
    """A place offered from the waiting list: what it is, until when, and accept or decline (the links in
    the notification and the e-mail open this page; ``answer``: the button the link chose, focused)."""
    shift = _get_shift(shift_id)
    record = _my_sign_up(shift.id)
    answer = request.args.get("answer") if request.args.get("answer") in ("accept", "decline") else None
    return render_template("shifts/offer.html", shift=shift, record=record, answer=answer,
                           can_answer=access.can_answer_offer(current_user, record, utcnow()))


@blueprint.post("/<int:shift_id>/offer/<any(accept, decline):answer>")
@role_required(Role.volunteer)
def answer_offer(shift_id, answer):
    record = _my_sign_up(shift_id)
    if answer == "accept":
        perform(lambda: places.accept_offer(record, actor=current_user),
                done=_("You have a place on this shift. Thank you!"))
    else:
        perform(lambda: places.decline_offer(record, actor=current_user),
                done=_("You declined the place and left the waiting list; it goes to the next person."))
    return _back_to(shift_id)


# --- hours to approve ------------------------------------------------------------------------------------

@blueprint.route("/hours")
@role_required(Role.social_worker, Role.community_staff, Role.org_admin, Role.admin)
def hours_to_approve():
    """Volunteers' hours waiting for approval on the shifts the reader keeps; each is decided on its roster."""
    filters = PendingHoursFilters.read()
    page = paginate(queries.hours_to_approve(current_user, filters.value("q"), filters.value("since"),
                                             filters.value("until")))
    return render_template("shifts/hours.html", page=page, filters=filters)


# --- roster -----------------------------------------------------------------------------------------

@blueprint.route("/<int:shift_id>/roster")
@login_required
def roster(shift_id):
    shift = _get_shift(shift_id)
    require(can_run(current_user, shift))
    return _render_roster(shift)


def _render_roster(shift: Shift, *, failed=None, confirm=None, hours_form=None, status=200):
    records = queries.roster(shift)
    hours_form = hours_form or HoursForm(formdata=None)
    now = utcnow()
    return render_template("shifts/roster.html", shift=shift, records=records, failed=failed or {},
                           confirm=confirm or {},
                           positions=queries.waitlist_positions(records), hours_form=hours_form,
                           actions=access.roster_actions(current_user, shift, records, now),
                           can_close=access.can_close(current_user, shift, now), locale=_locale(),
                           notes_link=volunteer_access.reads_roster_notes(current_user, shift),
                           HOLDING_STATUSES=HOLDING_STATUSES), status


def _roster_sign_up(shift_id: int, sign_up_id: int):
    shift = _get_shift(shift_id)
    require(can_run(current_user, shift))
    record = db.session.get(SignUp, sign_up_id)
    if record is None or record.shift_id != shift.id:
        abort(404)
    return shift, record


def _timed_action(shift_id: int, sign_up_id: int, action: str, service, done: str):
    """Check-in or check-out with an optional time typed by hand; a refusal keeps what was typed."""
    shift, record = _roster_sign_up(shift_id, sign_up_id)
    form = TimeForm()
    options = {"confirm_decline": form.confirm_decline.data} if action == "check_out" else {}
    outcome = perform(lambda: service(record, actor=current_user,
                                      at=local_to_utc(form.at.data) if form.at.data else None, **options),
                      form=form, done=done)
    if outcome:
        return redirect(url_for(".roster", shift_id=shift_id))
    if isinstance(outcome.refusal, places.DeclineNeedsConfirmation):  # the lead confirms first
        return _render_roster(_get_shift(shift_id), confirm={"id": sign_up_id, "typed": form.at.raw_data,
                                                             "message": str(outcome.refusal.message)})
    message = " ".join(str(error) for errors in form.errors.values() for error in errors)
    return _render_roster(_get_shift(shift_id), failed={"id": sign_up_id, "action": action,
                                                        "typed": form.at.raw_data, "message": message})


@blueprint.post("/<int:shift_id>/roster/<int:sign_up_id>/check-in")
@login_required
def check_in(shift_id, sign_up_id):
    return _timed_action(shift_id, sign_up_id, "check_in", places.check_in, _("Checked in."))


@blueprint.post("/<int:shift_id>/roster/<int:sign_up_id>/check-out")
@login_required
def check_out(shift_id, sign_up_id):
    return _timed_action(shift_id, sign_up_id, "check_out", places.check_out,
                         _("Checked out; the hours wait for approval."))


@blueprint.post("/<int:shift_id>/roster/<int:sign_up_id>/no-show")
@login_required
def no_show(shift_id, sign_up_id):
    _shift, record = _roster_sign_up(shift_id, sign_up_id)
    perform(lambda: places.mark_no_show(record, actor=current_user), done=_("Recorded as a no-show."))
    return redirect(url_for(".roster", shift_id=shift_id))


@blueprint.post("/<int:shift_id>/roster/hours")
@login_required
def decide_hours(shift_id):
    shift = _get_shift(shift_id)
    require(can_run(current_user, shift))
    form = HoursForm()
    pending = db.session.scalars(sa.select(SignUp).where(
        SignUp.shift_id == shift.id, SignUp.hours_status == HoursStatus.pending)).all()
    form.sign_ups.choices = choices((r.id, str(r.id)) for r in pending)
    chosen = [r for r in pending if r.id in set(form.sign_ups.data or [])]
    if perform(lambda: places.decide_hours(chosen, approve=form.decision.data == "approve",
                                           reason=form.reason.data or "", actor=current_user),
               form=form, done=_("%(n)s entries decided.", n=len(chosen))):
        return redirect(url_for(".roster", shift_id=shift_id))
    return _render_roster(_get_shift(shift_id), hours_form=form)


@blueprint.post("/<int:shift_id>/close")
@login_required
def close(shift_id):
    shift = _get_shift(shift_id)
    require(can_run(current_user, shift))
    perform(lambda: places.close_shift(shift, actor=current_user),
            done=_("The shift was closed. Please decide the pending hours."))
    return redirect(url_for(".roster", shift_id=shift_id))


# --- at the site: the shift code (QR) and checking oneself in and out -------------------------------

@blueprint.route("/<int:shift_id>/code/<any(in, out):purpose>")
@login_required
def code(shift_id, purpose):
    """The lead shows this page at the site: a QR code volunteers with a place scan to check in (or out)."""
    shift = _get_shift(shift_id)
    require(can_run(current_user, shift))
    lifetime = codes.lifetime_seconds()
    url = svg = None
    if shift.status not in FINISHED_STATUSES:
        url = url_for(".check_code", shift_id=shift.id, token=codes.make(shift.id, purpose), _external=True)
        svg = segno.make(url, error="m").svg_inline(scale=4, border=2, omitsize=True)
    return render_template("shifts/code.html", shift=shift, purpose=purpose, url=url, svg=svg,
                           minutes=lifetime // 60, refresh=max(lifetime // 2, 20))


@blueprint.route("/<int:shift_id>/check/<token>", methods=["GET", "POST"])
@role_required(Role.volunteer)
def check_code(shift_id, token):
    """A volunteer opens a shift code on their phone: check in (or out) with one button."""
    shift = _get_shift(shift_id)
    try:
        shift_code = codes.read(token, shift.id)
    except codes.CodeRefused as refused:
        return _code_page(shift, None, None, refused=str(refused.message), status=refused.status)
    volunteer = volunteer_of(current_user)
    record = queries.sign_ups_of(volunteer, [shift.id]).get(shift.id) if volunteer else None
    if record is None or record.status not in HOLDING_STATUSES:
        return _code_page(shift, shift_code, None, status=403, refused=_(
            "You have no place on this shift, so this code cannot check you in or out. If you came to help, "
            "ask the lead."))
    if request.method == "GET":
        return _code_page(shift, shift_code, record)
    confirm = request.form.get("confirm_decline") == "y"
    if shift_code.purpose == "in":
        action = lambda: places.check_in(record, actor=current_user, code=shift_code.id)  # noqa: E731
    else:
        action = lambda: places.check_out(record, actor=current_user, code=shift_code.id,  # noqa: E731
                                          confirm_decline=confirm)
    outcome = perform(action, done=_checked_message)
    if outcome:
        return redirect(url_for(".detail", shift_id=shift.id))
    return _code_page(shift, shift_code, db.session.get(SignUp, record.id), refusal=outcome.refusal)


def _checked_message(record: SignUp):
    if record.status == SignUpStatus.checked_in:
        return _("You are checked in (%(time)s). Thank you for coming!",
                 time=format_datetime(record.checked_in_at, "short"))
    return _("You are checked out (%(time)s); the lead will confirm your hours.",
             time=format_datetime(record.checked_out_at, "short"))


def _code_page(shift, shift_code, record, *, refused=None, refusal=None, status=200):
    """The volunteer's check-in page. A refusal shown by ``perform`` is in the flash messages already."""
    confirm = str(refusal.message) if isinstance(refusal, places.DeclineNeedsConfirmation) else None
    # Already past what the code does: the page says so instead of offering the button.
    past = {"in": (SignUpStatus.checked_in, SignUpStatus.checked_out), "out": (SignUpStatus.checked_out,)}
    done = record is not None and shift_code is not None and record.status in past[shift_code.purpose]
    return render_template("shifts/check.html", shift=shift, code=shift_code, record=record, refused=refused,
                           confirm=confirm, done=done, failed=refusal is not None and confirm is None), status
