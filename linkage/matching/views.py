"""Match runs: start, watch, review, override, approve or reject."""
from datetime import datetime, time, timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from linkage.auth.access import require, role_required
from linkage.errors import Refused
from linkage.extensions import db
from linkage.forms import choices
from linkage.matching import services
from linkage.matching.forms import DecisionForm, NewRunForm, OverrideForm
from linkage.matching.review import review_of
from linkage.models import MatchKind, MatchRun, MatchStatus, Region, RegionLevel, Role
from linkage.timeutil import LOCAL_TZ

blueprint = Blueprint("matching", __name__, url_prefix="/matching")
RUNNERS = (Role.civil_affairs, Role.social_worker)


def _run_or_404(run_id: int) -> MatchRun:
    run = db.get_or_404(MatchRun, run_id)
    require(services.can_view(current_user, run))
    return run


def _started(run: MatchRun):
    """Commit the queued run, hand it to the background with no transaction open, show it."""
    run_id = run.id
    db.session.commit()
    services.start(run_id)
    db.session.commit()
    return redirect(url_for("matching.detail", run_id=run_id))


@blueprint.route("/")
@role_required(*RUNNERS)
def index():
    if services.reap_stale_runs():
        db.session.commit()
    page = db.paginate(services.visible_runs(current_user), page=request.args.get("page", 1, type=int),
                       per_page=current_app.config["PER_PAGE"], error_out=False)
    return render_template("matching/index.html", page=page)


@blueprint.route("/new", methods=["GET", "POST"])
@role_required(*RUNNERS)
def new():
    form = NewRunForm()
    regions = db.session.scalars(Region.select_in(current_user.region).where(
        Region.level != RegionLevel.grid)).all() if current_user.region else []
    form.region.choices = choices((r.id, f"{'· ' * (r.level.value - 1)}{r.name}") for r in regions)
    if form.validate_on_submit():
        kind, region = MatchKind(form.kind.data), db.session.get(Region, form.region.data)
        start = end = None
        if form.week.data:
            monday = form.week.data - timedelta(days=form.week.data.weekday())
            start = datetime.combine(monday, time.min, LOCAL_TZ)
            end = start + timedelta(days=7)
        try:
            if not services.can_run(current_user, kind):
                raise Refused(_("Social workers run volunteer matching only."), field="kind")
            run = services.create_run(kind, region, actor=current_user, period_start=start, period_end=end,
                                      funding_pool=float(form.funding_pool.data) if form.funding_pool.data is not None else None,
                                      time_limit=form.time_limit.data)
        except Refused as refusal:
            getattr(form, refusal.field or "kind", form.kind).errors.append(str(refusal.message))
        else:
            return _started(run)
    return render_template("matching/new.html", form=form)


@blueprint.route("/<int:run_id>")
@role_required(*RUNNERS)
def detail(run_id):
    if services.reap_stale_runs():
        db.session.commit()
    run = _run_or_404(run_id)
    review = review_of(run) if run.result else None
    return render_template("matching/detail.html", run=run, review=review, override_form=OverrideForm(),
                           decision_form=DecisionForm(), changes=services.changes_from_parent(run))


@blueprint.route("/<int:run_id>/status.json")
@role_required(*RUNNERS)
def status(run_id):
    if services.reap_stale_runs():
        db.session.commit()
    run = _run_or_404(run_id)
    elapsed = None
    if run.started_at:
        elapsed = ((run.finished_at or datetime.now(run.started_at.tzinfo)) - run.started_at).total_seconds()
    return {"status": run.status.value, "label": str(run.status.label), "elapsed": elapsed,
            "best": run.best_so_far, "objective": run.objective, "bound": run.bound,
            "finished": run.status not in (MatchStatus.queued, MatchStatus.running)}


@blueprint.post("/<int:run_id>/override")
@role_required(*RUNNERS)
def override(run_id):
    run = _run_or_404(run_id)
    form = OverrideForm()
    if not form.validate_on_submit():
        flash(_("Choose a pairing and write down the reason."), "danger")
        return redirect(url_for("matching.detail", run_id=run.id))
    try:
        child = services.rerun_with_override(run, action=form.action.data, left=form.left.data, right=form.right.data,
                                             reason=form.reason.data, actor=current_user)
    except Refused as refusal:
        flash(str(refusal.message), "danger")
        return redirect(url_for("matching.detail", run_id=run.id))
    flash(_("A new run started with your decision; this run keeps its proposal."), "success")
    return _started(child)


@blueprint.post("/<int:run_id>/<any(rerun, repair):how>")
@role_required(*RUNNERS)
def again(run_id, how):
    run = _run_or_404(run_id)
    try:
        child = (services.repair_run if how == "repair" else services.rerun)(run, actor=current_user)
    except Refused as refusal:
        flash(str(refusal.message), "danger")
        return redirect(url_for("matching.detail", run_id=run.id))
    return _started(child)


@blueprint.post("/<int:run_id>/<any(approve, reject):decision>")
@role_required(*RUNNERS)
def decide(run_id, decision):
    run = _run_or_404(run_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        if decision == "approve":
            applied = services.approve_run(run, actor=current_user, note=form.note.data or "")
            message = _("Approved and applied.") if applied else _("This run was already approved; nothing changed.")
        else:
            services.reject_run(run, actor=current_user, note=form.note.data or "")
            message = _("Proposal rejected.")
    except Refused as refusal:
        db.session.rollback()
        flash(str(refusal.message), "danger")
        return redirect(url_for("matching.detail", run_id=run.id))
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("matching.detail", run_id=run.id))
