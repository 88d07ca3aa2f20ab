"""The community desk: residents, needs as staff handle them, and accounts to verify.

Every view: load or 404 → check role and scope (403) → ``perform`` the one service (it validates,
commits, flashes) → redirect. A refused form re-renders with the message (200, nothing written); a
refused button in a list (verifying an account) flashes the message and returns to the list.
"""
import json

import sqlalchemy as sa
from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from linkage import exports, timeutil, uploads
from linkage.errors import Refused
from linkage.auth.access import require, role_required
from linkage.community import access, consents, export_pdf, queries, rights, services
from linkage.community.forms import (AccountFilters, AnonymizeForm, NeedFilterForm, RejectAccountForm, ResidentForm,
                                     ResidentSearchForm, RevealForm, StaffWithdrawConsentForm)
from linkage.downloads import send_attachment
from linkage.extensions import db
from linkage.models import Category, ConsentChannel, FollowUpStatus, Need, Region, Role, User
from linkage.needs import access as need_access
from linkage.needs import queries as need_queries
from linkage.needs import ontime, targets
from linkage.needs import services as need_services
from linkage.needs import intake
from linkage.needs.forms import JoinForm, MergeForm, NoteForm, RateForm, RejectForm, StaffNeedForm, with_placeholder
from linkage.needs.views import duplicates_first
from linkage.ratings import access as rating_access
from linkage.ratings import queries as rating_queries
from linkage.listing import matching_text, member
from linkage.skills.queries import offered_skills, skill_choices
from linkage.web import id_arg, paginate, perform

blueprint = Blueprint("community", __name__, url_prefix="/community")


def _locale() -> str:
    return str(get_locale())


def _resident_or_404(resident_id):
    resident = queries.resident_for_page(resident_id)
    if resident is None:
        abort(404)
    require(access.can_see_resident(current_user, resident))
    return resident


def _need_or_404(need_id):
    need = need_queries.need_for_page(need_id)
    if need is None:
        abort(404)
    require(need_access.can_see_need(current_user, need))
    return need


# Residents -----------------------------------------------------------------------------------------------

def _resident_search():
    """The resident list's filters as the user set them, and the scoped query they give."""
    form = ResidentSearchForm(formdata=request.args)
    form.community.choices = with_placeholder(queries.community_choices(current_user, _locale()), _l("All"))
    form.validate()
    community_id = form.community.data if not form.community.errors else None
    community = db.session.get(Region, community_id) if community_id else None
    return form, queries.search_residents(queries.residents_visible_to(current_user), form.q.data, community)


def _resident_list(template, **context):
    form, query = _resident_search()
    return render_template(template, page=paginate(query), form=form, today=timeutil.today(), **context)


@blueprint.get("/residents")
@role_required(*access.RESIDENT_ROLES)
def residents():
    return _resident_list("community/residents.html")


@blueprint.get("/residents/export.<any(xlsx, csv):kind>")
@role_required(*access.RESIDENT_ROLES)
def residents_export(kind):
    """Exactly the residents the list shows for the same filters, every page of them."""
    _form, query = _resident_search()
    headers, rows = exports.residents(db.session.scalars(query).unique(), _locale(), timeutil.today())
    return exports.respond(current_user, "residents", kind, headers, rows)


@blueprint.route("/residents/new", methods=["GET", "POST"])
@role_required(*access.RESIDENT_ROLES)
def resident_new():
    form = ResidentForm()
    form.region.choices = with_placeholder(queries.region_choices(current_user, _locale()))
    registered = perform(lambda: services.register_resident(actor=current_user,
                                                            region=db.session.get(Region, form.region.data),
                                                            **form.service_args()),
                         form=form, done=lambda resident: _("%(name)s is registered.", name=resident.name))
    if registered:
        return redirect(url_for(".resident_detail", resident_id=registered.value.id))
    return render_template("community/resident_new.html", form=form)


@blueprint.get("/residents/<int:resident_id>")
@role_required(*access.RESIDENT_ROLES)
def resident_detail(resident_id):
    resident = _resident_or_404(resident_id)
    needs = db.session.scalars(need_queries.for_list(sa.select(Need).where(Need.resident_id == resident.id))
                               .order_by(Need.created_at.desc())).unique().all()
    return render_template("community/resident_detail.html", resident=resident, needs=needs,
                           today=timeutil.today(), access_log=queries.access_log(resident),
                           can_reveal=access.can_reveal_id(current_user, resident),
                           consent_history=consents.history(resident, reader=current_user),
                           can_withdraw=access.can_withdraw_consent(current_user, resident),
                           withdraw_form=StaffWithdrawConsentForm(formdata=None))


@blueprint.post("/residents/<int:resident_id>/consents/<int:consent_id>/withdraw")
@role_required(Role.community_staff)
def resident_consent_withdraw(resident_id, consent_id):
    """Record a withdrawal the resident told staff of, in person or by phone."""
    resident = _resident_or_404(resident_id)
    require(access.can_withdraw_consent(current_user, resident))
    consent = next((c for c in resident.consents if c.id == consent_id), None)
    if consent is None:
        abort(404)
    form = StaffWithdrawConsentForm()
    perform(lambda: consents.withdraw(consent, actor=current_user, channel=ConsentChannel(form.channel.data)),
            form=form, done=_("The withdrawal is recorded."))
    for message in form.channel.errors:
        flash(message, "danger")
    return redirect(url_for(".resident_detail", resident_id=resident.id) + "#consents")


@blueprint.route("/residents/<int:resident_id>/reveal", methods=["GET", "POST"])
@role_required(Role.community_staff)
def resident_reveal(resident_id):
    resident = _resident_or_404(resident_id)
    require(access.can_reveal_id(current_user, resident))
    form = RevealForm()
    revealed = perform(lambda: services.reveal_id_number(resident, actor=current_user,
                                                         reason=form.reason.data), form=form).value
    response = make_response(render_template("community/resident_reveal.html", resident=resident, form=form,
                                             revealed=revealed))
    response.headers["Cache-Control"] = "no-store"  # the full number is shown once, never cached
    return response


def export_response(resident, kind):
    """The resident's data as JSON or PDF for the signed-in user (the service checks and logs the export)."""
    exported = perform(lambda: rights.export_resident(resident, actor=current_user))
    if not exported:
        abort(403)
    if kind == "pdf":
        body, mimetype = export_pdf.render(exported.value), "application/pdf"
    else:
        body = json.dumps(exported.value, ensure_ascii=False, indent=2).encode()
        mimetype = "application/json; charset=utf-8"
    return send_attachment(body, f"resident-{resident.id}.{kind}", mimetype)


@blueprint.get("/residents/<int:resident_id>/export.<any(json, pdf):kind>")
@role_required(*access.RESIDENT_ROLES)
def resident_export(resident_id, kind):
    return export_response(_resident_or_404(resident_id), kind)


@blueprint.route("/residents/<int:resident_id>/anonymize", methods=["GET", "POST"])
@role_required(Role.community_staff)
def resident_anonymize(resident_id):
    resident = _resident_or_404(resident_id)
    require(access.can_reveal_id(current_user, resident))
    form = AnonymizeForm()
    if perform(lambda: rights.anonymize_resident(resident, actor=current_user, reason=form.reason.data),
               form=form, done=_("The resident's record was anonymized.")):
        return redirect(url_for(".resident_detail", resident_id=resident.id))
    return render_template("community/resident_anonymize.html", resident=resident, form=form)


# Needs ---------------------------------------------------------------------------------------------------

def _need_search():
    """The need list's filters as the user set them, and the scoped, ordered query they give."""
    form = NeedFilterForm(formdata=request.args)
    form.sector.choices = with_placeholder(need_queries.sector_choices(_locale()), _l("All"))
    form.community.choices = with_placeholder(queries.community_choices(current_user, _locale()), _l("All"))
    form.validate()
    sector, community = form.value("sector"), form.value("community")
    query = need_queries.filter_needs(
        need_queries.needs_visible_to(current_user),
        status=form.value("status"), urgency=form.value("urgency"),
        sector=db.session.get(Category, sector) if sector else None,
        community=db.session.get(Region, community) if community else None, channel=form.value("channel"))
    return form, need_queries.by_urgency(need_queries.for_list(query))


@blueprint.get("/needs")
@role_required(*need_access.NEED_STAFF_ROLES)
def needs():
    form, query = _need_search()
    follow_ups = (rating_queries.follow_ups_for(current_user, status=FollowUpStatus.open)
                  if current_user.role in rating_access.COMMUNITY_DESK else [])
    return render_template("community/needs.html", page=paginate(query), form=form, follow_ups=follow_ups,
                           can_report=need_access.can_report_needs(current_user))


@blueprint.get("/needs/export.<any(xlsx, csv):kind>")
@role_required(*need_access.NEED_STAFF_ROLES)
def needs_export(kind):
    """Exactly the needs the list shows for the same filters, every page of them."""
    _form, query = _need_search()
    headers, rows = exports.needs(db.session.scalars(query).unique(), _locale())
    return exports.respond(current_user, "needs", kind, headers, rows)


@blueprint.route("/needs/new", methods=["GET", "POST"])
@role_required(*need_access.REPORTING_ROLES)
def need_new():
    resident_id = id_arg("resident")
    if resident_id is None:  # first choose whose need it is
        return _resident_list("community/residents.html", picking=True)
    resident = _resident_or_404(resident_id)
    require(need_access.can_report_need_for(current_user, resident))
    form = StaffNeedForm()
    form.category.choices = with_placeholder(need_queries.category_choices(_locale()))
    form.skills.choices = skill_choices(offered_skills(), _locale())
    suggestions = duplicates_first(form, resident)
    if suggestions:
        return render_template("community/need_new.html", form=form, resident=resident, suggestions=suggestions,
                               join_form=JoinForm())
    submitted = perform(lambda: need_services.submit_need(resident, actor=current_user,
                                                          **form.service_args()),
                        form=form, done=_("The need was registered and waits for verification."))
    if submitted:
        return redirect(url_for(".need_detail", need_id=submitted.value.id))
    return render_template("community/need_new.html", form=form, resident=resident)


@blueprint.get("/needs/on-time")
@role_required(*need_access.ON_TIME_READERS)
def on_time():
    """The on-time share of needs per community and sector, in the reader's scope."""
    return render_template("community/on_time.html", rows=ontime.report(current_user),
                           minimum=ontime.min_count())


@blueprint.get("/needs/on-time.csv")
@role_required(*need_access.ON_TIME_READERS)
def on_time_csv():
    return send_attachment(ontime.as_csv(ontime.report(current_user), _locale()),
                           f"on-time-{timeutil.today():%Y%m%d}.csv", "text/csv; charset=utf-8")


def _need_page(need, **forms):
    forms = {"verify_form": NoteForm(formdata=None), "reject_form": RejectForm(formdata=None),
             "deliver_form": NoteForm(formdata=None), "rate_form": RateForm(formdata=None),
             "merge_form": MergeForm(formdata=None), **forms}
    actions = need_access.need_actions(current_user, need)
    candidates = (intake.likely_duplicates(need.resident, need.category, exclude=need)
                  if "merge" in actions else [])
    return render_template("community/need_detail.html", need=need, trail=need_queries.status_trail(need),
                           candidates=candidates,
                           trail_label=need_queries.trail_label, response=targets.summary(need),
                           actions=actions, photos_shown=consents.photos_shown_to(current_user, need),
                           links_resident=access.can_see_resident(current_user, need.resident), **forms)


@blueprint.get("/needs/<int:need_id>")
@role_required(*need_access.NEED_STAFF_ROLES)
def need_detail(need_id):
    return _need_page(_need_or_404(need_id))


def _need_action(need_id, form_name, form, service, done_message, **fields):
    """One decision on a need by its community's staff: check, then perform ``service`` with the form."""
    need = _need_or_404(need_id)
    require(need_access.can_manage_need(current_user, need))
    values = {arg: form[name].data for arg, name in fields.items()}
    if perform(lambda: service(need, actor=current_user, **values), form=form, done=done_message):
        return redirect(url_for(".need_detail", need_id=need.id))
    return _need_page(need_queries.need_for_page(need_id), **{form_name: form})


@blueprint.post("/needs/<int:need_id>/verify")
@role_required(Role.community_staff)
def need_verify(need_id):
    return _need_action(need_id, "verify_form", NoteForm(), need_services.verify_need,
                        _("The need was verified and is now open for service."), note="note")


@blueprint.post("/needs/<int:need_id>/reject")
@role_required(Role.community_staff)
def need_reject(need_id):
    return _need_action(need_id, "reject_form", RejectForm(), need_services.reject_need,
                        _("The need was rejected; the resident was told why."), reason="reason")


@blueprint.post("/needs/<int:need_id>/deliver")
@role_required(Role.community_staff)
def need_deliver(need_id):
    return _need_action(need_id, "deliver_form", NoteForm(), need_services.confirm_delivered,
                        _("The service was confirmed as delivered."), note="note")


@blueprint.post("/needs/<int:need_id>/rate")
@role_required(Role.community_staff)
def need_rate(need_id):
    return _need_action(need_id, "rate_form", RateForm(), need_services.rate_need,
                        _("The rating was recorded on the resident's behalf; the need is closed."),
                        rating="rating", comment="comment")


@blueprint.post("/needs/<int:need_id>/merge")
@role_required(Role.community_staff)
def need_merge(need_id):
    form = MergeForm()
    return _need_action(need_id, "merge_form", form,
                        lambda need, actor, into, note: intake.merge_need(
                            need, db.session.get(Need, into) if into else None, actor=actor, note=note),
                        _("The need was merged; its resident now follows the need it repeats."),
                        into="into", note="note")


@blueprint.post("/needs/<int:need_id>/join")
@role_required(*need_access.REPORTING_ROLES)
def need_join(need_id):
    """Staff or a grid worker add the resident (``?resident=``) to a need their request repeats."""
    need = _need_or_404(need_id)
    resident = _resident_or_404(id_arg("resident"))
    require(need_access.can_report_need_for(current_user, resident))
    perform(lambda: intake.join_need(need, resident, actor=current_user), form=JoinForm(),
            done=_("%(name)s now follows this need.", name=resident.name))
    return redirect(url_for(".need_detail", need_id=need.id))


@blueprint.get("/needs/<int:need_id>/photos/<int:photo_id>")
@role_required(*need_access.NEED_STAFF_ROLES)
def need_photo(need_id, photo_id):
    need = _need_or_404(need_id)
    try:
        photo, content = intake.read_photo(need, photo_id, reader=current_user)
    except Refused:
        abort(404)
    return uploads.send_bytes(content, photo.extension, f"need-{need.id}-photo-{photo.id}")


# Accounts ------------------------------------------------------------------------------------------------

@blueprint.get("/accounts")
@role_required(*access.ACCOUNT_ROLES)
def accounts():
    filters = AccountFilters.read()
    query = matching_text(queries.accounts_to_verify_for(current_user), filters.value("q"),
                          User.display_name, User.username, User.phone)
    role = member(Role, filters.value("role"))
    page = paginate(query if role is None else query.where(User.role == role))
    return render_template("community/accounts.html", page=page, filters=filters, reject_form=RejectAccountForm(formdata=None),
                           claims=queries.claims_of(page.items),
                           kept_elsewhere=lambda claim: services.claim_kept_elsewhere(current_user, claim))


@blueprint.post("/accounts/<int:user_id>/reject")
@role_required(*access.ACCOUNT_ROLES)
def account_reject(user_id):
    account = db.get_or_404(User, user_id)
    require(access.can_verify_account(current_user, account))
    form = RejectAccountForm()
    done = _("%(name)s's account was not accepted; they were told why.", name=account.display_name)
    outcome = perform(lambda: services.reject_account(account, form.reason.data, actor=current_user), form=form,
                      done=done)
    if not outcome:
        for message in [*form.reason.errors, *form.form_errors]:
            flash(str(message), "danger")
    return redirect(url_for(".accounts"))


@blueprint.post("/accounts/<int:user_id>/verify")
@role_required(*access.ACCOUNT_ROLES)
def account_verify(user_id):
    account = db.get_or_404(User, user_id)
    require(access.can_verify_account(current_user, account))
    perform(lambda: services.verify_account(account, actor=current_user),
            done=_("%(name)s's account is verified; they were notified.", name=account.display_name))
    return redirect(url_for(".accounts"))
