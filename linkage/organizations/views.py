"""Organization pages: the register (civil affairs), registration and "my organization" (organizations)."""
import sqlalchemy as sa
from flask import Blueprint, redirect, render_template, url_for
from flask_babel import get_locale, gettext as _, lazy_gettext as _l
from flask_login import current_user, login_required

from linkage import audit
from linkage.auth.access import require, role_required
from linkage.contracts import queries as contract_queries
from linkage.extensions import db
from linkage.forms import choices
from linkage.models import BidStatus, Category, Organization, OrgStatus, Region, Role, SocialWorker
from linkage.organizations import access, queries, services
from linkage.listing import member
from linkage.organizations.forms import OrganizationFilters, OrganizationForm, ReasonForm, WorkerForm, WorkerLoginForm
from linkage.projects.access import can_see_bid_price
from linkage.projects.forms import BidFilters
from linkage.projects.queries import bids_of_organization
from linkage.ratings import queries as rating_queries
from linkage.timeutil import now
from linkage.web import paginate, perform

blueprint = Blueprint("organizations", __name__, url_prefix="/organizations")

# Flashed after a status change, by verb.
DONE = {
    "verify": _l("Organization verified: it can now bid."),
    "reject": _l("Registration rejected; the organization was told why."),
    "suspend": _l("Organization suspended."),
    "blacklist": _l("Organization blacklisted: it can no longer bid."),
    "reinstate": _l("Organization reinstated."),
}


@blueprint.route("/")
@role_required(*access.REGISTER_READERS)
def index():
    filters = OrganizationFilters.read()
    query = queries.organizations_visible_to(current_user, member(OrgStatus, filters.value("status")),
                                             filters.value("q"))
    return render_template("organizations/index.html", page=paginate(query), filters=filters)


@blueprint.route("/<int:org_id>")
@login_required
def detail(org_id):
    org = db.get_or_404(Organization, org_id)
    require(access.can_view_organization(current_user, org))
    return _render_detail(org)


def _render_detail(org, failed_verb=None, failed_form=None):
    forms = {verb: ReasonForm(formdata=None, prefix=verb) for verb in services.allowed_actions(org)}
    if failed_verb in forms:
        forms[failed_verb] = failed_form
    can_manage = access.can_manage_organization(current_user, org)
    sees_bids = access.can_see_bids_of(current_user, org)
    bids, bid_filters = _bids_page(org) if sees_bids else (None, None)
    return render_template(
        "organizations/detail.html", org=org, forms=forms if can_manage else {},
        refused=failed_form.form_errors if failed_form else [],
        transitions=services.TRANSITIONS, workers=db.session.scalars(queries.workers_of(org)).all(),
        admins=queries.organization_users(org), sees_bids=sees_bids,
        bids=bids, bid_filters=bid_filters, priced=priced_bids(bids.items if bids else []),
        record=contract_queries.organization_record(org), visit_rollup=rating_queries.for_organization(org),
        trail=audit.trail("Organization", org.id) if can_manage else [])


def _bids_page(org):
    """A page of the organization's bids the reader may see, with the search and status the reader set."""
    filters = BidFilters.read()
    query = bids_of_organization(org, current_user, member(BidStatus, filters.value("status")), filters.value("q"))
    return paginate(query, per_page=BIDS_PER_PAGE), filters


BIDS_PER_PAGE = 20


def priced_bids(bids) -> set[int]:
    """Ids of the listed bids whose price the current user may see (see ``can_see_bid_price``)."""
    at = now()
    return {bid.id for bid in bids if can_see_bid_price(current_user, bid, at)}


@blueprint.post(f"/<int:org_id>/<any({', '.join(services.TRANSITIONS)}):verb>")
@role_required(Role.civil_affairs)
def change_status(org_id, verb):
    org = db.get_or_404(Organization, org_id)
    require(access.can_manage_organization(current_user, org))
    form = ReasonForm(prefix=verb)
    if perform(lambda: services.change_status(org, verb, form.reason.data or "", actor=current_user),
               form=form, done=DONE[verb]):
        return redirect(url_for("organizations.detail", org_id=org.id))
    return _render_detail(org, verb, form)


@blueprint.route("/mine")
@role_required(Role.org_admin, Role.social_worker)
def mine():
    org = current_user.organization
    if org is None:
        return render_template("organizations/mine.html", org=None,
                               can_register=access.can_register_organization(current_user))
    bids, bid_filters = _bids_page(org)
    return render_template(
        "organizations/mine.html", org=org, can_register=False,
        manages=access.can_manage_workers(current_user, org),
        can_correct=access.can_correct_registration(current_user, org),
        can_create_logins=access.can_create_worker_login(current_user, org),
        workers=db.session.scalars(queries.workers_of(org)).all(),
        bids=bids, bid_filters=bid_filters, priced=priced_bids(bids.items),
        record=contract_queries.organization_record(org), visit_rollup=rating_queries.for_organization(org))


def _fill_choices(form: OrganizationForm, org=None) -> None:
    form.region.choices = choices(
        (r.id, f"{'· ' * (r.level.value - 2)}{r.name}")
        for r in queries.service_area_choices([org.region_id] if org is not None else []))
    categories = db.session.scalars(sa.select(Category).where(Category.active.is_(True))
                                    .order_by(Category.code)).all()
    form.categories.choices = choices((c.id, f"{'· ' * (c.level - 1)}{c.display_name(str(get_locale()))}")
                                      for c in categories)


def _organization_data(form: OrganizationForm) -> services.OrganizationData:
    categories = db.session.scalars(
        sa.select(Category).where(Category.id.in_(form.categories.data or []))).all()
    return form.to_data(db.session.get(Region, form.region.data), list(categories))


@blueprint.route("/register", methods=["GET", "POST"])
@role_required(Role.org_admin)
def register():
    require(access.can_register_organization(current_user))
    form = OrganizationForm()
    _fill_choices(form)
    if perform(lambda: services.register_organization(current_user, _organization_data(form),
                                                      actor=current_user),
               form=form, done=_("Your organization was registered. Civil affairs will verify it; "
                                 "you will be notified.")):
        return redirect(url_for("organizations.mine"))
    return render_template("organizations/form.html", form=form, org=None)


@blueprint.route("/mine/edit", methods=["GET", "POST"])
@role_required(Role.org_admin)
def edit():
    org = current_user.organization
    require(org is not None and access.can_correct_registration(current_user, org))
    plain = ("name", "credit_code", "founded_on", "grade", "grade_awarded_on", "address", "contact_phone",
             "description", "capacity")
    form = OrganizationForm(data={**{name: getattr(org, name) for name in plain},
                                  "org_type": org.org_type.value, "region": org.region_id,
                                  "categories": [c.id for c in org.categories]})
    _fill_choices(form, org)
    if perform(lambda: services.update_organization(org, _organization_data(form), actor=current_user),
               form=form, done=_("Registration data saved and sent for verification.")):
        return redirect(url_for("organizations.mine"))
    return render_template("organizations/form.html", form=form, org=org)


# --------------------------------------------------------------------------- social workers


def _own_worker_or_404(worker_id) -> SocialWorker:
    worker = db.get_or_404(SocialWorker, worker_id)
    require(access.can_manage_workers(current_user, worker.organization))
    return worker


@blueprint.route("/mine/workers/new", methods=["GET", "POST"])
@role_required(Role.org_admin)
def worker_new():
    org = current_user.organization
    require(org is not None and access.can_manage_workers(current_user, org))
    form = WorkerForm()
    if perform(lambda: services.add_social_worker(org, form.to_data(), actor=current_user), form=form,
               done=lambda worker: _("%(name)s was added to your social workers.", name=worker.name)):
        return redirect(url_for("organizations.mine"))
    return render_template("organizations/worker_form.html", form=form, worker=None)


@blueprint.route("/workers/<int:worker_id>/edit", methods=["GET", "POST"])
@role_required(Role.org_admin)
def worker_edit(worker_id):
    worker = _own_worker_or_404(worker_id)
    form = WorkerForm(data={"name": worker.name, "level": worker.level.name,
                            "certificate_no": worker.certificate_no, "caseload_limit": worker.caseload_limit})
    if perform(lambda: services.update_social_worker(worker, form.to_data(), actor=current_user), form=form,
               done=_("Saved.")):
        return redirect(url_for("organizations.mine"))
    return render_template("organizations/worker_form.html", form=form, worker=worker)


@blueprint.route("/workers/<int:worker_id>/login", methods=["GET", "POST"])
@role_required(Role.org_admin)
def worker_login(worker_id):
    worker = _own_worker_or_404(worker_id)
    form = WorkerLoginForm()
    if perform(lambda: services.create_worker_login(worker, form.username.data, form.password.data,
                                                    actor=current_user),
               form=form, done=lambda user: _("Log-in %(username)s created for %(name)s.",
                                              username=user.username, name=worker.name)):
        return redirect(url_for("organizations.mine"))
    return render_template("organizations/worker_login.html", form=form, worker=worker)


@blueprint.post("/workers/<int:worker_id>/<any(deactivate, reactivate):verb>")
@role_required(Role.org_admin)
def worker_active(worker_id, verb):
    worker = _own_worker_or_404(worker_id)
    perform(lambda: services.set_social_worker_active(worker, verb == "reactivate", actor=current_user),
            done=_("%(name)s is active again.", name=worker.name) if verb == "reactivate"
            else _("%(name)s was deactivated; their log-in is suspended.", name=worker.name))
    return redirect(url_for("organizations.mine"))
