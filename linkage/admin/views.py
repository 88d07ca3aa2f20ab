"""Administration: accounts, locality settings and the audit trail."""
import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from linkage import settings
from linkage.admin import access, queries, services
from linkage.admin.forms import SettingForm, TargetsForm, UserForm
from linkage.audit import verify
from linkage.auth.access import role_required
from linkage.errors import Refused
from linkage.extensions import db
from linkage.forms import choices
from linkage.models import URGENCY_LABELS, AccountStatus, Organization, Region, Role, User
from linkage.timeutil import now
from linkage.needs import targets
from linkage.web import paginate, perform

blueprint = Blueprint("admin", __name__, url_prefix="/admin")


@blueprint.route("/users")
@role_required(Role.admin)
def users():
    search, role = request.args.get("q", ""), request.args.get("role", "")
    page = paginate(queries.users_matching(search, role))
    return render_template("admin/users.html", page=page, search=search, role=role, roles=list(Role))


@blueprint.route("/users/new", methods=["GET", "POST"])
@role_required(Role.admin)
def user_new():
    form = UserForm()
    regions = db.session.scalars(sa.select(Region).order_by(Region.path)).all()
    form.region.choices = choices([(0, "—")] + [(r.id, f"{'· ' * (r.level.value - 1)}{r.name}") for r in regions])
    orgs = db.session.scalars(sa.select(Organization).order_by(Organization.name)).all()
    form.organization.choices = choices([(0, "—")] + [(o.id, o.name) for o in orgs])
    if perform(lambda: services.create_account(
            username=form.username.data, password=form.password.data, display_name=form.display_name.data,
            role=Role(form.role.data), region=db.session.get(Region, form.region.data or 0),
            organization=db.session.get(Organization, form.organization.data or 0), actor=current_user),
            form=form, done=lambda user: _("Account %(name)s created.", name=user.username)):
        return redirect(url_for("admin.users"))
    return render_template("admin/user_new.html", form=form)


@blueprint.post(f"/users/<int:user_id>/status/<any({', '.join(s.value for s in AccountStatus)}):status>")
@role_required(Role.admin)
def user_status(user_id, status):
    user = db.get_or_404(User, user_id)
    perform(lambda: services.set_account_status(user, AccountStatus(status), actor=current_user),
            done=_("Account %(name)s updated.", name=user.username))
    return redirect(url_for("admin.users"))


def _settings_page(posted: SettingForm = None, posted_name: str = ""):
    rows = settings.overview()
    forms = {row.spec.name: posted if row.spec.name == posted_name else
             SettingForm(prefix=row.spec.name, formdata=None, data={"value": row.text}) for row in rows}
    return render_template("admin/settings.html", rows=rows, forms=forms)


@blueprint.route("/settings")
@role_required(Role.admin)
def settings_page():
    return _settings_page()


@blueprint.post("/settings/<name>")
@role_required(Role.admin)
def setting_change(name):
    spec = settings.spec_or_404(name)
    form = SettingForm(prefix=spec.name)
    if perform(lambda: settings.change(spec.name, form.value.data, actor=current_user), form=form,
               done=_("Saved: %(label)s.", label=spec.label)):
        return redirect(url_for("admin.settings_page", _anchor=spec.name))
    return _settings_page(form, spec.name)


@blueprint.post("/settings/<name>/reset")
@role_required(Role.admin)
def setting_reset(name):
    spec = settings.spec_or_404(name)
    perform(lambda: settings.reset(spec.name, actor=current_user),
            done=_("%(label)s: the administrator's value was removed.", label=spec.label))
    return redirect(url_for("admin.settings_page", _anchor=spec.name))


def _target_rows(sectors):
    saved = targets.Targets.load().rows
    return [{f"u{u}": str(saved[(s.id, u)]) if (s.id, u) in saved else "" for u in targets.URGENCIES}
            for s in sectors]


@blueprint.route("/response-targets", methods=["GET", "POST"])
@role_required(Role.admin)
def response_targets():
    """How long each sector's needs may wait for the community's response, per urgency."""
    sectors = targets.sectors()
    form = TargetsForm() if request.method == "POST" else TargetsForm(data={"rows": _target_rows(sectors)})

    def save():
        if len(form.rows.entries) != len(sectors):
            raise Refused(_("The taxonomy changed while you were editing: reload the page and try again."))
        values = {(sector, u): entry.form[f"u{u}"].data
                  for sector, entry in zip(sectors, form.rows.entries) for u in targets.URGENCIES}
        return targets.save_targets(values, actor=current_user)

    if perform(save, form=form, done=lambda n: _("Response targets saved: %(n)s changed.", n=n)):
        return redirect(url_for("admin.response_targets"))
    defaults = {u: targets.default_hours(u) for u in targets.URGENCIES}
    return render_template("admin/response_targets.html", form=form, rows=list(zip(sectors, form.rows.entries)),
                           defaults=defaults, urgencies=targets.URGENCIES, urgency_labels=URGENCY_LABELS)


@blueprint.route("/audit")
@role_required(*access.AUDIT_READERS)
def audit():
    action, subject = request.args.get("action", ""), request.args.get("subject", "")
    page = paginate(queries.audit_events_visible_to(current_user, action, subject), per_page=50)
    return render_template("admin/audit.html", page=page, action=action, subject=subject,
                           sealed=access.sealed_changes(current_user, page.items, now()),
                           can_verify_chain=access.can_verify_audit_chain(current_user))


@blueprint.post("/audit/verify")
@role_required(Role.admin)
def audit_verify():
    verdict = verify()
    if verdict.intact:
        flash(_("Audit trail intact: %(count)s events checked, and no record was changed outside the "
                "platform.", count=verdict.events), "success")
    else:
        flash(_("The audit trail is not intact: %(count)s problems found. The server's operator can list "
                "them with the audit check.", count=len(verdict.problems)), "danger")
    return redirect(url_for("admin.audit"))
