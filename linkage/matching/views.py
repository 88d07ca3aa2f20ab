"""Match runs: start, watch, review, pin or forbid pairings, approve or reject."""
from datetime import timedelta

from flask import Blueprint, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from linkage import timeutil
from linkage.auth.access import role_required
from linkage.cases import access as case_access, queries as case_queries
from linkage.extensions import db
from linkage.forms import choices
from linkage.matching import queries, services
from linkage.matching.access import RUNNERS, get_run_or_404, visible_runs
from linkage.listing import member
from linkage.matching.forms import DecisionForm, NewRunForm, OverrideForm, RunFilters
from linkage.matching.review import error_text, review_of
from linkage.models import MatchKind, MatchStatus, Region
from linkage.web import paginate, perform

blueprint = Blueprint("matching", __name__, url_prefix="/matching")


def _shown(run_id: int):
    """The page of a run just handed to the background."""
    return redirect(url_for("matching.detail", run_id=run_id))


def _page(run, override_form=None, decision_form=None):
    """The run page, with the decision forms as submitted when one was refused."""
    review = review_of(run) if run.problem else None
    override_form = override_form or OverrideForm(formdata=None)
    if review is not None:
        override_form.for_run(run.kind, review.left_options, review.right_options)
    opened = case_queries.cases_of_run(run.id) if run.kind == MatchKind.cases else []
    readable = [case for case in opened if case_access.can_read(current_user, case)]
    return render_template("matching/detail.html", run=run, review=review, override_form=override_form,
                           opened_cases=readable, hidden_cases=len(opened) - len(readable),
                           decision_form=decision_form or DecisionForm(formdata=None),
                           last_day=run.period_end - timedelta(seconds=1) if run.period_end else None,
                           error=error_text(run) if run.status == MatchStatus.failed else None)


@blueprint.route("/")
@role_required(*RUNNERS)
def index():
    perform(services.reap_stale_runs, then=services.retry_parts)
    filters = RunFilters.read()
    query = queries.filter_runs(visible_runs(current_user), kind=member(MatchKind, filters.value("kind")),
                                status=member(MatchStatus, filters.value("status")), area=filters.value("q"))
    return render_template("matching/index.html", page=paginate(query), filters=filters)


@blueprint.route("/new", methods=["GET", "POST"])
@role_required(*RUNNERS)
def new():
    form = NewRunForm()
    form.region.choices = choices((r.id, f"{'· ' * (r.level.value - 1)}{r.name}")
                                  for r in queries.runnable_regions(current_user))

    def create():
        start, end = form.period()
        pool = float(form.funding_pool.data) if form.funding_pool.data is not None else None
        return services.create_run(MatchKind(form.kind.data), db.session.get(Region, form.region.data),
                                   actor=current_user, period_start=start, period_end=end, funding_pool=pool,
                                   time_limit=form.time_limit.data,
                                   fairness=services.fairness_options(MatchKind(form.kind.data), **form.fairness())).id
    outcome = perform(create, form=form, then=services.start)
    if outcome:
        return _shown(outcome.value)
    return render_template("matching/new.html", form=form)


@blueprint.route("/<int:run_id>")
@role_required(*RUNNERS)
def detail(run_id):
    perform(services.reap_stale_runs, then=services.retry_parts)
    return _page(get_run_or_404(run_id, current_user))


@blueprint.route("/<int:run_id>/status.json")
@role_required(*RUNNERS)
def status(run_id):
    perform(services.reap_stale_runs, then=services.retry_parts)
    run = get_run_or_404(run_id, current_user)
    elapsed = None
    if run.started_at:
        elapsed = ((run.finished_at or timeutil.now()) - run.started_at).total_seconds()
    parts = services.parts_progress(run)
    return {"status": run.status.value, "label": str(run.status.label), "elapsed": elapsed,
            "best": run.best_so_far, "objective": run.objective, "bound": run.bound,
            "parts": parts[1] if parts else None, "parts_done": parts[0] if parts else None,
            "finished": run.status not in (MatchStatus.queued, MatchStatus.running)}


@blueprint.post("/<int:run_id>/override")
@role_required(*RUNNERS)
def override(run_id):
    run = get_run_or_404(run_id, current_user)
    form = OverrideForm()
    outcome = perform(lambda: services.rerun_with_override(
        run, action=form.action.data, left=form.left.data, right=form.right.data, reason=form.reason.data or "",
        actor=current_user).id, form=form, then=services.start,
        done=_("A new run started with your decision; this run keeps its proposal."))
    if outcome:
        return _shown(outcome.value)
    return _page(run, override_form=form)


@blueprint.post("/<int:run_id>/<any(rerun, repair):how>")
@role_required(*RUNNERS)
def again(run_id, how):
    run = get_run_or_404(run_id, current_user)
    solve_again = services.repair_run if how == "repair" else services.rerun
    outcome = perform(lambda: solve_again(run, actor=current_user).id, then=services.start)
    if outcome:
        return _shown(outcome.value)
    return redirect(url_for("matching.detail", run_id=run.id))


@blueprint.post("/<int:run_id>/<any(approve, reject):decision>")
@role_required(*RUNNERS)
def decide(run_id, decision):
    run = get_run_or_404(run_id, current_user)
    form = DecisionForm()
    if decision == "approve":
        outcome = perform(lambda: services.approve_run(run, actor=current_user, note=form.note.data or ""), form=form,
                          done=lambda applied: _("Approved and applied.") if applied
                          else _("This run was already approved; nothing changed."))
    else:
        outcome = perform(lambda: services.reject_run(run, actor=current_user, note=form.note.data or ""), form=form,
                          done=_("Proposal rejected."))
    if outcome:
        return redirect(url_for("matching.detail", run_id=run.id))
    return _page(run, decision_form=form)
