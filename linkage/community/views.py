"""The community desk: residents, needs as staff handle them, and accounts to verify.

Every view: load or 404 → check role and scope (403) → ``perform`` the one service (it validates,
commits, flashes) → redirect. A refused form re-renders with the message (200, nothing written); a
refused button in a list (verifying an account) flashes the message and returns to the list.
"""
import sqlalchemy as sa
from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from linkage import exports, settings, timeutil
from linkage.auth.access import require, role_required
from linkage.community import access, queries, services
from linkage.community.forms import (NeedFilterForm, RejectAccountForm, ResidentForm, ResidentSearchForm,
                                     RevealForm)
from linkage.extensions import db
from linkage.models import Category, Need, Region, Role, User
from linkage.needs import access as need_access
from linkage.needs import queries as need_queries
from linkage.needs import ontime, targets
from linkage.needs import services as need_services
from linkage.needs.forms import NoteForm, RateForm, RejectForm, StaffNeedForm, with_placeholder
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
                           can_reveal=access.can_reveal_id(current_user, resident))


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
        community=db.session.get(Region, community) if community else None)
    return form, need_queries.by_urgency(need_queries.for_list(query))


@blueprint.get("/needs")
@role_required(*need_access.NEED_STAFF_ROLES)
def needs():
    form, query = _need_search()
    return render_template("community/needs.html", page=paginate(query), form=form,
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
    form.skills.choices = need_queries.skill_choices(_locale())
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
                           minimum=settings.get("ON_TIME_MIN_COUNT"))


@blueprint.get("/needs/on-time.csv")
@role_required(*need_access.ON_TIME_READERS)
def on_time_csv():
    response = make_response(ontime.as_csv(ontime.report(current_user), _locale()))
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f"attachment; filename=on-time-{timeutil.today():%Y%m%d}.csv"
    return response


def _need_page(need, **forms):
    forms = {"verify_form": NoteForm(formdata=None), "reject_form": RejectForm(formdata=None),
             "deliver_form": NoteForm(formdata=None), "rate_form": RateForm(formdata=None), **forms}
    return render_template("community/need_detail.html", need=need, trail=need_queries.status_trail(need),
                           trail_label=need_queries.trail_label, response=targets.summary(need),
                           actions=need_access.need_actions(current_user, need),
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


# Accounts ------------------------------------------------------------------------------------------------

@blueprint.get("/accounts")
@role_required(*access.ACCOUNT_ROLES)
def accounts():
    page = paginate(queries.accounts_to_verify_for(current_user))
    return render_template("community/accounts.html", page=page, reject_form=RejectAccountForm(formdata=None))


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
