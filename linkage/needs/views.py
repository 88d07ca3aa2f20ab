"""Residents' own needs: the list with each one's status, filing a new one, the trail, withdrawing, rating."""
import sqlalchemy as sa
from flask import Blueprint, abort, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from linkage.auth.access import require, role_required, verified_required
from linkage.community import consents as consent_rules
from linkage.community.forms import WithdrawConsentForm
from linkage.extensions import db
from linkage.models import Category, Need, Resident, Role
from linkage.needs import access, intake, queries, services, targets
from linkage.needs.forms import JoinForm, NeedForm, NoteForm, RateForm, with_placeholder
from linkage.web import paginate, perform

blueprint = Blueprint("needs", __name__, url_prefix="/needs")


def _own_resident():
    return db.session.scalar(sa.select(Resident).where(Resident.user_id == current_user.id))


def _own_need_or_404(need_id):
    need = queries.need_for_page(need_id)
    if need is None:
        abort(404)
    require(access.can_read_as_resident(current_user, need))
    return need


@blueprint.get("/")
@role_required(Role.resident)
def mine():
    query = queries.for_list(queries.own_needs(current_user)).order_by(Need.created_at.desc(), Need.id.desc())
    page = paginate(query)
    return render_template("needs/mine.html", page=page, resident=_own_resident())


@blueprint.get("/my-data.<any(json, pdf):kind>")
@role_required(Role.resident)
def my_data(kind):
    """Everything the platform holds on the signed-in resident, their ID number in full."""
    from linkage.community.views import export_response

    resident = _own_resident()
    require(resident is not None)
    return export_response(resident, kind)


@blueprint.get("/consents")
@role_required(Role.resident)
def consents():
    """The resident's consents, each with its withdrawal (or the button to withdraw it)."""
    resident = _own_resident()
    require(resident is not None)
    return render_template("needs/consents.html", resident=resident,
                           consent_history=consent_rules.history(resident, reader=current_user),
                           can_withdraw=True, withdraw_form=WithdrawConsentForm(formdata=None))


@blueprint.post("/consents/<int:consent_id>/withdraw")
@role_required(Role.resident)
def consent_withdraw(consent_id):
    resident = _own_resident()
    require(resident is not None)
    consent = next((c for c in resident.consents if c.id == consent_id), None)
    if consent is None:
        abort(404)
    perform(lambda: consent_rules.withdraw(consent, actor=current_user), form=WithdrawConsentForm(),
            done=_("Your consent is withdrawn."))
    return redirect(url_for(".consents"))


@blueprint.route("/new", methods=["GET", "POST"])
@role_required(Role.resident)
@verified_required
def new():
    resident = _own_resident()
    require(resident is not None)
    form = NeedForm()
    form.category.choices = with_placeholder(queries.category_choices(str(get_locale())))
    suggestions = duplicates_first(form, resident)
    if suggestions:
        return render_template("needs/new.html", form=form, suggestions=suggestions, join_form=JoinForm(),
                               resident=resident)
    submitted = perform(lambda: services.submit_need(resident, actor=current_user, **form.service_args()),
                        form=form, done=_("Your need was sent to your community, who will check it soon."))
    if submitted:
        return redirect(url_for(".detail", need_id=submitted.value.id))
    return render_template("needs/new.html", form=form, resident=resident)


def duplicates_first(form, resident):
    """On a valid first submission: the open needs the request probably repeats (empty: file it)."""
    if not form.validate_on_submit() or form.skip_duplicates:
        return []
    form.anyway.data = "1"   # the page with the suggestions sends the request as it is
    return intake.likely_duplicates(resident, db.session.get(Category, form.category.data))


@blueprint.post("/<int:need_id>/join")
@role_required(Role.resident)
@verified_required
def join(need_id):
    resident = _own_resident()
    require(resident is not None)
    need = queries.need_for_page(need_id)
    if need is None:
        abort(404)
    require(intake.joinable(resident, need))
    if perform(lambda: intake.join_need(need, resident, actor=current_user), form=JoinForm(),
               done=_("You joined this request; you will hear of its progress.")):
        return redirect(url_for(".detail", need_id=need.id))
    return redirect(url_for(".new"))


def _detail_page(need, **forms):
    forms = {"withdraw_form": NoteForm(formdata=None), "rate_form": RateForm(formdata=None), **forms}
    return render_template("needs/detail.html", need=need, trail=queries.status_trail(need),
                           trail_label=queries.trail_label, response=targets.summary(need),
                           can_withdraw=access.can_withdraw_now(current_user, need),
                           followed=not access.is_own_need(current_user, need),
                           can_rate=access.can_rate_now(current_user, need),
                           **forms)


@blueprint.get("/<int:need_id>")
@role_required(Role.resident)
def detail(need_id):
    return _detail_page(_own_need_or_404(need_id))


def _own_action(need_id, form_name, form, service, done_message, **fields):
    need = _own_need_or_404(need_id)
    values = {arg: form[name].data for arg, name in fields.items()}
    if perform(lambda: service(need, actor=current_user, **values), form=form, done=done_message):
        return redirect(url_for(".detail", need_id=need.id))
    return _detail_page(queries.need_for_page(need_id), **{form_name: form})


@blueprint.post("/<int:need_id>/withdraw")
@role_required(Role.resident)
@verified_required
def withdraw(need_id):
    return _own_action(need_id, "withdraw_form", NoteForm(), services.withdraw_need,
                       _("Your need was withdrawn."), reason="note")


@blueprint.post("/<int:need_id>/rate")
@role_required(Role.resident)
@verified_required
def rate(need_id):
    return _own_action(need_id, "rate_form", RateForm(), services.rate_need,
                       _("Thank you for your rating."), rating="rating", comment="comment")
