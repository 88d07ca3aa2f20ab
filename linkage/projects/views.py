"""Project pages: the list, creation from open needs, the detail with bids and coverage, bidding,
evaluation and award."""
from decimal import Decimal

import sqlalchemy as sa
from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext as _, lazy_gettext as _l
from flask_login import current_user, login_required

from linkage import audit, exports, settings
from linkage.auth.access import require, role_required
from linkage.contracts import access as contract_access, queries as contract_queries
from linkage.extensions import db
from linkage.forms import choices
from linkage.models import (Bid, BidStatus, Category, Complaint, Need, PanelMember, PanelStatus, Project,
                            ProjectStatus, Region, RegionLevel, Role, SocialWorker, User)
from linkage.organizations.forms import ReasonForm
from linkage.organizations.queries import workers_of
from linkage.projects import access, panels, queries, services, standstill
from linkage.ratings import queries as rating_queries
from linkage.listing import matching_text, member
from linkage.projects.forms import (BidFilters, ProjectFilters, AnswerForm, AssignExpertForm, AwardForm, BidForm, ComplaintForm, CriteriaForm,
                                    DeclarationForm, ProjectForm, panel_scores_form, scores_form)
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


def _project_search():
    """The project list's filters as the user set them, and the scoped query they give."""
    filters = ProjectFilters.read(category=_category_choices(_("All categories")))
    query = queries.projects_visible_to(current_user, member(ProjectStatus, filters.value("status")),
                                        filters.value("category"))
    return filters, matching_text(query, filters.value("q"), Project.title)


@blueprint.route("/export.<any(xlsx, csv):kind>")
@role_required(*access.READERS, *access.ORG_ROLES, Role.civil_affairs)
def export(kind):
    """Exactly the projects the list shows for the same filters, every page of them."""
    _filters, query = _project_search()
    headers, rows = exports.projects(db.session.scalars(query).unique(), str(get_locale()))
    return exports.respond(current_user, "projects", kind, headers, rows)


@blueprint.route("/")
@role_required(*access.READERS, *access.ORG_ROLES, Role.civil_affairs)
def index():
    filters, query = _project_search()
    page = paginate(query)
    org = current_user.organization if current_user.role in access.ORG_ROLES else None
    my_bids = queries.bids_by_project(org, [p.id for p in page.items]) if org is not None else {}
    return render_template("projects/index.html", page=page, filters=filters, my_bids=my_bids, show_bids=org is not None,
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


def _fill_project_choices(form, project=None):
    form.region.choices = choices((r.id, f"{'· ' * (r.level.value - 1)}{r.name}") for r in
                                  queries.owner_region_choices(current_user, [project.region_id] if project else []))
    form.categories.choices = _category_choices()


def _project_data(form):
    needs = db.session.scalars(
        sa.select(Need).where(Need.id.in_(form.needs.data or [])).order_by(Need.id)).all()
    categories = db.session.scalars(
        sa.select(Category).where(Category.id.in_(form.categories.data or []))).all()
    return form.to_data(db.session.get(Region, form.region.data), list(categories), list(needs))


def _prefill_purchase(form):
    """A purchase drafted from the needs forecast: its sector, budget and title come in the link (each
    only when valid; the form checks them again on saving)."""
    category_id = id_arg("category")
    if category_id is not None and category_id in {choice.value for choice in form.categories.choices}:
        form.categories.data = [category_id]
    try:
        budget = Decimal(request.args.get("budget", ""))
    except ArithmeticError:
        budget = None
    if budget is not None and budget.is_finite() and Decimal("0.01") <= budget <= services.MAX_BUDGET:
        form.budget.data = budget.quantize(Decimal("0.01"))
    title = request.args.get("title", "").strip()
    if title:
        form.title.data = title[:200]


@blueprint.route("/new", methods=["GET", "POST"])
@role_required(Role.civil_affairs)
def new():
    form = ProjectForm()
    _fill_project_choices(form)
    if request.method == "GET":
        form.region.data = current_user.region_id
        _prefill_purchase(form)
    created = perform(lambda: services.create_project(_project_data(form), actor=current_user), form=form,
                      done=_("Draft saved. Check it, then publish it to open the bidding."))
    if created:
        return _to_detail(created.value)
    return _render_project_form(form, None)


@blueprint.route("/<int:project_id>/edit", methods=["GET", "POST"])
@role_required(Role.civil_affairs)
def edit(project_id):
    project = _project_or_404(project_id, manage=True)
    amending = access.can_amend_project(current_user, project, now())
    require(access.can_edit_project(current_user, project) or amending)
    form = ProjectForm(data=_form_values(project))
    _fill_project_choices(form, project)
    if amending:
        done = perform(lambda: standstill.amend_project(project, _project_data(form), actor=current_user), form=form,
                       done=lambda changed: _("Terms changed: the bids already in must be confirmed again by their "
                                              "organizations.") if changed else _("Saved."))
    else:
        done = perform(lambda: services.update_project(project, _project_data(form), actor=current_user), form=form,
                       done=_("Draft saved."))
    if done:
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
    bid_filters, bids = _bids_shown(project, at, manages)
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
        "projects/detail.html", project=project, manages=manages, bids=bids, bid_filters=bid_filters, own=own,
        forms=forms,
        priced={b.id for b in [*bids, *([own] if own else [])] if access.can_see_bid_price(current_user, b, at)},
        refused=failed[1].form_errors if failed else [], actions=actions,
        disqualifiable=({b.id for b in bids if b.status in queries.VALID_BID_STATUSES}
                        if "disqualify" in actions else set()),
        needs=db.session.scalars(queries.project_needs(project)).all(), coverage=queries.coverage(project),
        visit_rollup=rating_queries.for_project(project),
        results_public=access.results_public(project), valid_statuses=queries.VALID_BID_STATUSES,
        bidding_open=project.bidding_open(at),
        can_submit_bid=access.can_submit_bid(current_user, project, at),
        can_withdraw_bid=access.can_withdraw_bid(current_user, project, own, at),
        can_score=access.can_enter_scores(current_user, project) and not panels.has_panel(project),
        seat=access.panel_seat(current_user, project), has_panel=panels.has_panel(project),
        can_amend=access.can_amend_project(current_user, project, at),
        can_complain=access.can_read_complaints(current_user, project, own) and not manages,
        notice_visible=access.can_see_award_notice(current_user, project),
        signing_refusal=standstill.contract_signing_refusal(project) if manages else None,
        open_complaints=len(standstill.open_complaints(project)) if manages else 0,
        republication=services.republication(project),
        trail=audit.trail("Project", project.id) if manages else [], **_contract_facts(project))


def _bids_shown(project, at, manages):
    """The bids the project page lists: those the reader may read; civil affairs managing the project search
    them by organization and filter them by status."""
    if not manages:
        return None, queries.bids_visible_to(current_user, project, at)
    filters = BidFilters.read()
    return filters, queries.bids_visible_to(current_user, project, at, member(BidStatus, filters.value("status")),
                                            filters.value("q"))


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
@role_required(Role.civil_affairs)
def scores(project_id):
    """Civil affairs type the technical scores of a project without an expert panel (experts score
    per criterion on their own page, ``evaluate``)."""
    project = _project_or_404(project_id, manage=True)
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
    bids = services.ranked([b for b in queries.valid_bids(project)
                            if b.status == BidStatus.scored and access.can_see_bid_price(current_user, b, now())])
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


# --------------------------------------------------------------------------- criteria and the expert panel


@blueprint.route("/<int:project_id>/criteria", methods=["GET", "POST"])
@role_required(Role.civil_affairs)
def criteria(project_id):
    project = _project_or_404(project_id, manage=True)
    form = CriteriaForm()
    if request.method == "GET":
        form.fill(project.criteria or services.default_criteria())
    editable = project.status == ProjectStatus.draft or access.can_amend_project(current_user, project, now())
    if perform(lambda: panels.set_criteria(project, form.to_rows(), actor=current_user), form=form,
               done=lambda changed: _("Criteria saved.") if changed else _("Nothing changed.")):
        return _to_detail(project)
    return render_template("projects/criteria.html", project=project, form=form, editable=editable,
                           has_bids=bool(project.bids))


@blueprint.route("/<int:project_id>/panel", methods=["GET", "POST"])
@role_required(Role.civil_affairs)
def panel(project_id):
    project = _project_or_404(project_id, manage=True)
    form = AssignExpertForm()
    form.expert.choices = choices((e.id, e.display_name) for e in panels.expert_choices())
    if perform(lambda: panels.assign_expert(project, db.session.get(User, form.expert.data), actor=current_user),
               form=form, done=_("The expert was put on the panel and told.")):
        return redirect(url_for("projects.panel", project_id=project.id))
    return _render_panel(project, form)


def _render_panel(project, form, failed=None):
    removable = project.status in panels.PANEL_OPEN
    forms = {f"rm{s.id}": ReasonForm(formdata=None, prefix=f"rm{s.id}") for s in panels.sitting(project)}
    if failed:
        forms[failed[0]] = failed[1]
    return render_template("projects/panel.html", project=project, form=form, seats=project.panel,
                           progress=panels.progress(project), bid_count=len(queries.evaluated_bids(project)),
                           can_assign=project.status in panels.PANEL_OPEN, removable=removable, forms=forms,
                           record=panels.panel_record(project) if access.results_public(project) else None,
                           trim_min=settings.get("PANEL_TRIM_MIN"))


@blueprint.post("/<int:project_id>/panel/<int:member_id>/remove")
@role_required(Role.civil_affairs)
def panel_remove(project_id, member_id):
    project = _project_or_404(project_id, manage=True)
    seat = db.get_or_404(PanelMember, member_id)
    if seat.project_id != project.id:
        abort(404)
    reason_form = ReasonForm(prefix=f"rm{seat.id}")
    if perform(lambda: panels.remove_expert(seat, reason_form.reason.data, actor=current_user), form=reason_form,
               done=_("The expert was taken off the panel.")):
        return redirect(url_for("projects.panel", project_id=project.id))
    form = AssignExpertForm(formdata=None)
    form.expert.choices = choices((e.id, e.display_name) for e in panels.expert_choices())
    return _render_panel(project, form, (f"rm{seat.id}", reason_form))


@blueprint.route("/<int:project_id>/declare", methods=["GET", "POST"])
@role_required(Role.expert)
def declare(project_id):
    project = db.get_or_404(Project, project_id)
    seat = access.panel_seat(current_user, project)
    require(seat is not None)
    at = now()
    form = DeclarationForm()
    bidders = panels.bidders(project) if not access.bidding_sealed(project, at) else []
    form.ties.choices = choices((org.id, org.name) for org in bidders)
    done = perform(lambda: panels.declare(
        project, [org for org in bidders if org.id in set(form.ties.data or [])], form.statement.data,
        form.no_conflict.data, actor=current_user), form=form,
        done=lambda seat: (_("You are on the panel: score the bids.") if seat.status == PanelStatus.joined
                           else (_("You declared a tie to a bidder and are recused from this panel; civil affairs "
                                   "were told."), "warning")))
    if done:
        return _to_detail(project) if done.value.status == PanelStatus.joined else redirect(url_for("projects.index"))
    return render_template("projects/declare.html", project=project, form=form, seat=seat,
                           can_declare=access.can_declare(current_user, project, at))


@blueprint.route("/<int:project_id>/evaluate", methods=["GET", "POST"])
@role_required(Role.expert)
def evaluate(project_id):
    project = db.get_or_404(Project, project_id)
    seat = access.panel_seat(current_user, project)
    require(seat is not None)
    if seat.status != PanelStatus.joined:
        return redirect(url_for("projects.declare", project_id=project.id))
    at = now()
    bids = sorted(queries.valid_bids(project), key=lambda b: b.id)  # never by price: scores stay independent
    criteria_rows = list(project.criteria)
    mine = {(s.bid_id, s.criterion_id): s.score for s in seat.scores}
    form = panel_scores_form(bids, criteria_rows, mine)
    scoring = access.can_panel_score(current_user, project)
    if scoring and form.validate_on_submit():
        values = {(b.id, c.id): _number(form[f"score_{b.id}_{c.id}"].data) for b in bids for c in criteria_rows}
        if perform(lambda: panels.enter_panel_scores(project, values, actor=current_user), form=form,
                   done=_("Your scores were saved.")):
            return redirect(url_for("projects.evaluate", project_id=project.id))
    return render_template("projects/evaluate.html", project=project, bids=bids, criteria=criteria_rows, form=form,
                           scoring=scoring,
                           priced={b.id for b in bids if access.can_see_bid_price(current_user, b, at)})


def _number(value):
    return None if value is None else float(value)


# --------------------------------------------------------------------------- award notice, complaints, re-publication


@blueprint.route("/<int:project_id>/notice")
@login_required
def notice(project_id):
    project = _project_or_404(project_id)
    require(access.can_see_award_notice(current_user, project))
    at = now()
    bids = [b for b in queries.bids_visible_to(current_user, project, at)
            if b.status in (BidStatus.won, BidStatus.lost) and access.can_see_bid_price(current_user, b, at)]
    return render_template("projects/notice.html", project=project, ranking=list(enumerate(services.ranked(bids), 1)),
                           complaint_deadline=standstill.complaint_deadline(project),
                           standstill_end=standstill.standstill_end(project),
                           priority_grade=services.PRIORITY_GRADE, has_priority=services.has_priority)


@blueprint.route("/<int:project_id>/complaints", methods=["GET", "POST"])
@role_required(Role.civil_affairs, Role.org_admin)
def complaints(project_id):
    project = _project_or_404(project_id)
    manages = access.can_manage_project(current_user, project)
    org = current_user.organization if current_user.role == Role.org_admin else None
    own = queries.own_bid(project, org) if org is not None else None
    require(access.can_read_complaints(current_user, project, own))
    form = ComplaintForm()
    if org is not None and request.method == "POST":
        if perform(lambda: standstill.file_complaint(project, org, form.text.data, actor=current_user), form=form,
                   done=_("Your complaint was filed; civil affairs answer it in writing. The contract waits.")):
            return redirect(url_for("projects.complaints", project_id=project.id))
    return _render_complaints(project, form, manages, org)


def _render_complaints(project, form, manages, org, failed=None):
    listed = standstill.complaints_of(project, None if manages else org)
    answers = {f"a{c.id}": AnswerForm(formdata=None, prefix=f"a{c.id}") for c in listed} if manages else {}
    if failed:
        answers[failed[0]] = failed[1]
    return render_template("projects/complaints.html", project=project, form=form, complaints=listed,
                           manages=manages, answers=answers,
                           window_open=standstill.complaint_window_open(project),
                           complaint_deadline=standstill.complaint_deadline(project),
                           refusal=standstill.contract_signing_refusal(project))


@blueprint.post("/<int:project_id>/complaints/<int:complaint_id>/answer")
@role_required(Role.civil_affairs)
def complaint_answer(project_id, complaint_id):
    project = _project_or_404(project_id, manage=True)
    complaint = db.get_or_404(Complaint, complaint_id)
    if complaint.project_id != project.id:
        abort(404)
    form = AnswerForm(prefix=f"a{complaint.id}")
    if perform(lambda: standstill.answer_complaint(complaint, form.decision.data == "upheld", form.answer.data,
                                                   actor=current_user),
               form=form, done=_("The complaint was answered; the organization was told.")):
        return redirect(url_for("projects.complaints", project_id=project.id))
    return _render_complaints(project, ComplaintForm(formdata=None), True, None, (f"a{complaint.id}", form))


@blueprint.post("/<int:project_id>/republish")
@role_required(Role.civil_affairs)
def republish(project_id):
    project = _project_or_404(project_id, manage=True)
    done = perform(lambda: services.republish_project(project, actor=current_user),
                   done=_("A new draft with the same terms was made: set the new bidding deadline, then publish it."))
    if done:
        return redirect(url_for("projects.edit", project_id=done.value.id))
    return _to_detail(project)
