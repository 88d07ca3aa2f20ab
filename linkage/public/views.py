"""The public transparency page (no log-in): published projects, award notices, evaluation results, the
district's figures, and each purchase's open contracting data as JSON."""
import json

from flask import Blueprint, abort, current_app, render_template, url_for

from linkage.contracts.queries import spending
from linkage.projects import services as project_services
from linkage.public import ocds, queries
from linkage.timeutil import now

blueprint = Blueprint("public", __name__, url_prefix="/public")

# Projects listed per section of the public page, the newest first.
LISTED = 50


@blueprint.route("/")
def index():
    at = now()
    return render_template("public/index.html", figures=queries.district_figures(),
                           open_projects=queries.open_projects(at)[:LISTED],
                           awarded=queries.awarded_projects()[:LISTED],
                           completed=[(p, queries.evaluations(p)) for p in queries.completed_projects()[:LISTED]])


def _project_or_404(project_id):
    project = queries.public_project(project_id)
    if project is None:
        abort(404)
    return project


@blueprint.route("/projects/<int:project_id>")
def project(project_id):
    project = _project_or_404(project_id)
    at = now()
    contract = queries.signed_contract(project)
    return render_template("public/project.html", project=project, at=at, ranking=queries.ranking(project, at),
                           bid_count=queries.bid_count(project, at), contract=contract,
                           money=spending(project, contract) if contract is not None else None,
                           evaluations=queries.evaluations(project), bidding_open=project.bidding_open(at),
                           priority_grade=project_services.PRIORITY_GRADE, has_priority=project_services.has_priority)


def _json(package):
    return current_app.response_class(json.dumps(package, ensure_ascii=False, indent=1),
                                      mimetype="application/json")


@blueprint.route("/projects/<int:project_id>/ocds.json")
def ocds_releases(project_id):
    project = _project_or_404(project_id)
    uri = url_for("public.ocds_releases", project_id=project.id, _external=True)
    return _json(ocds.release_package(project, now(), uri))


@blueprint.route("/projects/<int:project_id>/ocds-record.json")
def ocds_record(project_id):
    project = _project_or_404(project_id)
    uri = url_for("public.ocds_record", project_id=project.id, _external=True)
    releases_uri = url_for("public.ocds_releases", project_id=project.id, _external=True)
    return _json(ocds.record_package(project, now(), uri, releases_uri))
