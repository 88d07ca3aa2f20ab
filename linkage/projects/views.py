"""Project pages: the list, creation from open needs, the detail with bids and coverage, bidding,
evaluation and award."""
import sqlalchemy as sa
from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext as _, lazy_gettext as _l
from flask_login import current_user, login_required

from linkage import audit
from linkage.auth.access import require, role_required
from linkage.contracts import access as contract_access, queries as contract_queries
from linkage.extensions import db
from linkage.forms import choices
from linkage.models import (Bid, BidStatus, Category, Need, Project, ProjectStatus, Region, RegionLevel, Role,
                            SocialWorker)
from linkage.organizations.forms import ReasonForm
from linkage.organizations.queries import workers_of
from linkage.projects import access, queries, services
from linkage.projects.forms import AwardForm, BidForm, ProjectForm, scores_form
from linkage.timeutil import now
from linkage.web import id_arg, paginate, perform

blueprint = Blueprint("projects", __name__, url_prefix="/projects")

# How many open needs the project form lists at once; filters narrow the list.
NEED_LIST_LIMIT = 200


def _project_or_404(project_id, *, manage=False) -> Project:
    project = db.get_or_404(Project, project_id)
    require(access.can_manage_project(current_user, project) if manage
            else access.can_view_project(current_user, project))
    return project


def _categories():
    return db.session.scalars(
        sa.select(Category).where(Category.active.is_(True)).order_by(Category.code)).all()


def _category_choices(blank=None):
    locale = str(get_locale())
    pairs = [(c.id, f"{'· ' * (c.level - 1)}{c.display_name(locale)}") for c in _categories()]
    return choices(([("", blank)] if blank else []) + pairs)


@blueprint.route("/")
@role_required(*access.READERS, *access.ORG_ROLES, Role.civil_affairs)
def index():
    status = request.args.get("status", "")
    status = ProjectStatus(status) if status in {s.value for s in ProjectStatus} else None
    category_id = id_arg("category")
    page = paginate(queries.projects_visible_to(current_user, status, category_id))
    org = current_user.organization if current_user.role in access.ORG_ROLES else None
    my_bids = queries.bids_by_project(org, [p.id for p in page.items]) if org is not None else {}
    return render_template("projects/index.html", page=page, status=status, category_id=category_id,
                           statuses=list(ProjectStatus), categories=_category_choices(_("All categories")),
                           my_bids=my_bids, show_bids=org is not None,
                           for_organizations=current_user.role in access.ORG_ROLES,
                           can_create=access.can_create_project(current_user))


# --------------------------------------------------------------------------- create and edit


def _need_filters():
    return {"category": id_arg("category"),
            "community": id_arg("community")}


def _render_project_form(form, project):
    """The form with its list of open needs: those chosen first, then the filtered candidates."""
    filters = _need_filters()
    chosen_ids = set(form.needs.data or [])
    candidates = db.session.scalars(queries.available_needs(
        current_user, category_id=filters["category"], community_id=filters["community"], project=project)
        .limit(NEED_LIST_LIMIT + 1)).all()
    truncated = len(candidates) > NEED_LIST_LIMIT
    candidates = candidates[:NEED_LIST_LIMIT]
    shown = {n.id for n in candidates}
    chosen_elsewhere = db.session.scalars(queries.available_needs(current_user, project=project)
                                          .where(Need.id.in_(chosen_ids - shown))).all()
    communities = (db.session.scalars(Region.select_in(current_user.region, RegionLevel.community)).all()
                   if current_user.region is not None else
                   db.session.scalars(sa.select(Region).where(Region.level == RegionLevel.community)
                                      .order_by(Region.code)).all())
    return render_template("projects/form.html", form=form, project=project,
                           needs=chosen_elsewhere + candidates, chosen_ids=chosen_ids, truncated=truncated,
                           filters=filters, communities=communities,
                           filter_categories=_category_choices(_("All categories")))


def _fill_project_choices(form):
    form.region.choices = choices((r.id, f"{'· ' * (r.level.value - 1)}{r.name}")
                                  for r in queries.owner_region_choices(current_user))
    form.categories.choices = _category_choices()


def _project_data(form):
    needs = db.session.scalars(
        sa.select(Need).where(Need.id.in_(form.needs.data or [])).order_by(Need.id)).all()
    categories = db.session.scalars(
        sa.select(Category).where(Category.id.in_(form.categories.data or []))).all()
    return form.to_data(db.session.get(Region, form.region.data), list(categories), list(needs))


@blueprint.route("/new", methods=["GET", "POST"])
@role_required(Role.civil_affairs)
def new():
    form = ProjectForm()
    _fill_project_choices(form)
    if request.method == "GET":
        form.region.data = current_user.region_id
    created = perform(lambda: services.create_project(_project_data(form), actor=current_user), form=form,
                      done=_("Draft saved. Check it, then publish it to open the bidding."))
    if created:
        return _to_detail(created.value)
    return _render_project_form(form, None)


@blueprint.route("/<int:project_id>/edit", methods=["GET", "POST"])
@role_required(Role.civil_affairs)
def edit(project_id):
    project = _project_or_404(project_id, manage=True)
    require(access.can_edit_project(current_user, project))
    form = ProjectForm(data=_form_values(project))
    _fill_project_choices(form)
    if perform(lambda: services.update_project(project, _project_data(form), actor=current_user), form=form,
               done=_("Draft saved.")):
        return _to_detail(project)
    return _render_project_form(form, project)


def _form_values(project):
    """What the edit form shows before anything is typed."""
    plain = ("title", "description", "budget", "service_start", "service_end", "bidding_deadline",
             "min_grade", "min_years", "required_workers", "target_beneficiaries", "target_hours", "target_visits",
             "workload")
    return {**{name: getattr(project, name) for name in plain},
            "region": project.region_id, "categories": [c.id for c in project.categories],
            "needs": [n.id for n in project.needs], "price_weight": round(project.price_weight * 100),
            "required_worker_level": project.required_worker_level.name,
            "multi_year": project.service_end > services.add_years(project.service_start, 1)}


# --------------------------------------------------------------------------- detail


@blueprint.route("/<int:project_id>")
@login_required
def detail(project_id):
    return _render_detail(_project_or_404(project_id))


def _render_detail(project, failed=None):
    """The project page; ``failed`` is (form key, form) of a reason form that needs correcting."""
    manages = access.can_manage_project(current_user, project)
    at = now()
    bids = queries.bids_visible_to(current_user, project, at)
    org = current_user.organization if current_user.role in access.ORG_ROLES else None
    own = queries.own_bid(project, org) if org is not None else None
    forms = {}
    if manages:
        forms = {"cancel": ReasonForm(formdata=None, prefix="cancel")}
        forms.update({f"dq{b.id}": ReasonForm(formdata=None, prefix=f"dq{b.id}") for b in bids})
        if failed:
            forms[failed[0]] = failed[1]
    actions = services.available_actions(project) if manages else set()
    return render_template(
        "projects/detail.html", project=project, manages=manages, bids=bids, own=own, forms=forms,
        priced={b.id for b in [*bids, *([own] if own else [])] if access.can_see_bid_price(current_user, b, at)},
        refused=failed[1].form_errors if failed else [], actions=actions,
        disqualifiable=({b.id for b in bids if b.status in queries.VALID_BID_STATUSES}
                        if "disqualify" in actions else set()),
        needs=db.session.scalars(queries.project_needs(project)).all(), coverage=queries.coverage(project),
        results_public=access.results_public(project), valid_statuses=queries.VALID_BID_STATUSES,
        bidding_open=project.bidding_open(at),
        can_submit_bid=access.can_submit_bid(current_user, project, at),
        can_withdraw_bid=access.can_withdraw_bid(current_user, project, own, at),
        can_score=access.can_enter_scores(current_user, project),
        trail=audit.trail("Project", project.id) if manages else [], **_contract_facts(project))


def _contract_facts(project):
    """The project's contract, whether this user may open it, and the money at a glance."""
    contract = contract_queries.contract_of(project)
    visible = contract is not None and contract_access.can_view_contract(current_user, contract)
    return {"contract": contract, "contract_visible": visible,
            "spending": contract_queries.spending(project, contract) if visible else None}


# Buttons on the detail page: verb → (service, message when done).
STEPS = {
    "publish": (services.publish_project, _l("Published: organizations can bid until the deadline.")),
    "close": (services.close_bidding, _l("Bidding closed.")),
    "start": (services.mark_in_progress, _l("The project is in progress.")),
}
# Flashed instead when closing the bidding found no valid bid.
FAILED = _l("Bidding closed without a valid bid: the project failed and its needs are free again.")


@blueprint.post("/<int:project_id>/<any(publish, close, start):verb>")
@role_required(Role.civil_affairs)
def step(project_id, verb):
    project = _project_or_404(project_id, manage=True)
    action, done = STEPS[verb]
    perform(lambda: action(project, actor=current_user),
            done=lambda _result: FAILED if project.status == ProjectStatus.failed else done)
    return _to_detail(project)


def _with_reason(project, prefix: str, decide, done_message: str):
    """A decision that needs a written reason: the detail page again with the form when it is refused."""
    form = ReasonForm(prefix=prefix)
    if perform(lambda: decide(form.reason.data), form=form, done=done_message):
        return _to_detail(project)
    return _render_detail(project, (prefix, form))


def _to_detail(project):
    return redirect(url_for("projects.detail", project_id=project.id))


@blueprint.post("/<int:project_id>/cancel")
@role_required(Role.civil_affairs)
def cancel(project_id):
    project = _project_or_404(project_id, manage=True)
    return _with_reason(project, "cancel", lambda reason: services.cancel_project(project, reason, actor=current_user),
                        _("Project cancelled; its needs are free for other projects."))


# --------------------------------------------------------------------------- evaluation and award


def _project_bid_or_404(project, bid_id) -> Bid:
    bid = db.get_or_404(Bid, bid_id)
    if bid.project_id != project.id:
        abort(404)
    return bid


@blueprint.post("/<int:project_id>/bids/<int:bid_id>/disqualify")
@role_required(Role.civil_affairs)
def disqualify(project_id, bid_id):
    project = _project_or_404(project_id, manage=True)
    bid = _project_bid_or_404(project, bid_id)
    return _with_reason(project, f"dq{bid.id}", lambda reason: services.disqualify_bid(bid, reason, actor=current_user),
                        _("Bid disqualified; the organization was told why."))


@blueprint.route("/<int:project_id>/scores", methods=["GET", "POST"])
@role_required(Role.civil_affairs, Role.expert)
def scores(project_id):
    project = db.get_or_404(Project, project_id)
    require(access.can_enter_scores(current_user, project))
    at = now()
    bids = queries.valid_bids(project)
    if access.bidding_sealed(project, at):
        bids.sort(key=lambda b: b.id)  # the order by price would reveal the sealed prices
    form = scores_form(bids)
    if form.validate_on_submit():
        values = {bid.id: form[f"bid_{bid.id}"].data for bid in bids}
        values = {bid_id: None if value is None else float(value) for bid_id, value in values.items()}
        if perform(lambda: services.enter_scores(project, values, actor=current_user), form=form,
                   done=_("Scores saved.")):
            return _to_detail(project)
    return render_template("projects/scores.html", project=project, bids=bids, form=form,
                           priced={b.id for b in bids if access.can_see_bid_price(current_user, b, at)},
                           open_for_scores="score" in services.available_actions(project))


@blueprint.route("/<int:project_id>/award", methods=["GET", "POST"])
@role_required(Role.civil_affairs)
def award(project_id):
    project = _project_or_404(project_id, manage=True)
    bids = [b for b in queries.valid_bids(project)
            if b.status == BidStatus.scored and access.can_see_bid_price(current_user, b, now())]
    form = AwardForm()
    form.bid.choices = choices((b.id, b.organization.name) for b in bids)
    if request.method == "GET" and bids:
        form.bid.data = bids[0].id  # the highest total score
    if perform(lambda: services.award_bid(project, db.session.get(Bid, form.bid.data), actor=current_user,
                                          note=form.note.data),
               form=form,
               done=_("Project awarded; the organizations and the residents concerned were told.")):
        return _to_detail(project)
    return render_template("projects/award.html", project=project, bids=bids, form=form,
                           can_award="award" in services.available_actions(project))


# --------------------------------------------------------------------------- bids


@blueprint.route("/<int:project_id>/bid", methods=["GET", "POST"])
@role_required(Role.org_admin)
def bid(project_id):
    project = _project_or_404(project_id)
    require(access.can_bid(current_user, project))
    org = current_user.organization
    existing = queries.own_bid(project, org)
    form = BidForm(data=None if existing is None else {
        "price": existing.price, "proposal": existing.proposal, "workload": existing.workload,
        "team": [w.id for w in existing.team]})  # the declaration is made again with every submission
    workers = db.session.scalars(workers_of(org, active_only=True)).all()
    form.team.choices = choices((w.id, w.name) for w in workers)
    if perform(lambda: services.submit_bid(project, org, form.to_data(_team(form)), actor=current_user),
               form=form,
               done=_("Your bid was submitted. You can change or withdraw it until the deadline.")):
        return _to_detail(project)
    return render_template("projects/bid.html", project=project, form=form, existing=existing,
                           workers=workers,
                           problems=[str(p) for p in services.eligibility_problems(project, org)],
                           bidding_open=project.bidding_open(now()))


@blueprint.post("/<int:project_id>/bid/withdraw")
@role_required(Role.org_admin)
def bid_withdraw(project_id):
    project = _project_or_404(project_id)
    require(access.can_bid(current_user, project))
    own = queries.own_bid(project, current_user.organization)
    if own is not None:
        perform(lambda: services.withdraw_bid(own, actor=current_user),
                done=_("Your bid was withdrawn. You can submit again until the deadline."))
    return _to_detail(project)


def _team(form) -> list[SocialWorker]:
    return list(db.session.scalars(sa.select(SocialWorker).where(SocialWorker.id.in_(form.team.data or []))))
