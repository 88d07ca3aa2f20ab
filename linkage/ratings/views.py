"""Rating visits (residents, and community staff for them) and the community's follow-ups."""
from flask import Blueprint, abort, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from linkage.auth.access import require, role_required, verified_required
from linkage.community.access import community_scope
from linkage.extensions import db
from linkage.models import FollowUp, FollowUpStatus, Role
from linkage.needs.forms import RateForm
from linkage.ratings import access, queries, services
from linkage.ratings.forms import CloseFollowUpForm
from linkage.web import perform

blueprint = Blueprint("ratings", __name__, url_prefix="/ratings")


@blueprint.get("/")
@role_required(Role.resident)
def mine():
    return render_template("ratings/mine.html", visits=queries.own_visits(current_user))


def _community_page(close_forms=None):
    scope = community_scope(current_user)
    return render_template("ratings/community.html", visits=queries.community_visits(current_user),
                           follow_ups=queries.follow_ups_for(current_user), scope=scope,
                           rollup=queries.for_region(scope) if scope is not None else None,
                           close_forms=close_forms or {}, close_form_class=CloseFollowUpForm,
                           can_rate=access.can_rate_visit, open=FollowUpStatus.open)


@blueprint.get("/community")
@role_required(*access.COMMUNITY_DESK)
def community():
    return _community_page()


def _visit_or_404(shift_id, need_id):
    found = queries.visit_or_none(shift_id, need_id)
    if found is None:
        abort(404)
    require(access.can_rate_visit(current_user, found[1]))
    return found


@blueprint.route("/visits/<int:shift_id>/<int:need_id>", methods=["GET", "POST"])
@role_required(Role.resident, *access.COMMUNITY_DESK)
@verified_required
def rate(shift_id, need_id):
    shift, need = _visit_or_404(shift_id, need_id)
    form = RateForm()
    on_behalf = access.rates_on_behalf(current_user, need)
    done = _("The rating was recorded on the resident's behalf.") if on_behalf else _("Thank you for your rating.")
    if perform(lambda: services.rate_visit(shift, need, actor=current_user, rating=form.rating.data,
                                           comment=form.comment.data), form=form, done=done):
        return redirect(url_for(".community" if on_behalf else ".mine"))
    return render_template("ratings/rate.html", shift=shift, need=need, rate_form=form, on_behalf=on_behalf,
                           rating=queries.rating_of(shift, need))


@blueprint.post("/follow-ups/<int:follow_up_id>/close")
@role_required(*access.COMMUNITY_DESK)
def follow_up_close(follow_up_id):
    follow_up = db.get_or_404(FollowUp, follow_up_id)
    require(access.can_close_follow_up(current_user, follow_up))
    form = CloseFollowUpForm()
    if perform(lambda: services.close_follow_up(follow_up, actor=current_user, note=form.note.data), form=form,
               done=_("The follow-up is closed.")):
        return redirect(url_for(".community"))
    return _community_page({follow_up.id: form})
