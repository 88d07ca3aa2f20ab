"""Administration: accounts, locality settings and the audit trail."""
import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from linkage import settings
from linkage.admin import access, queries, services, taxonomy
from linkage.admin.forms import (CategoryForm, NamesForm, RegionForm, SettingForm, SkillForm, TargetsForm, UserFilters,
                                 UserForm)
from linkage.listing import member
from linkage.audit import verify
from linkage.auth.access import role_required
from linkage.errors import Refused
from linkage.extensions import db
from linkage.forms import choices
from linkage.models import (URGENCY_LABELS, AccountStatus, Category, Organization, Region, RegionLevel, Role, Skill,
                            User)
from linkage.timeutil import now
from linkage.needs import targets
from linkage.web import paginate, perform

blueprint = Blueprint("admin", __name__, url_prefix="/admin")


@blueprint.route("/users")
@role_required(Role.admin)
def users():
    filters = UserFilters.read()
    page = paginate(queries.users_matching(filters.value("q"), member(Role, filters.value("role"))))
    return render_template("admin/users.html", page=page, filters=filters)


@blueprint.route("/users/new", methods=["GET", "POST"])
@role_required(Role.admin)
def user_new():
    form = UserForm()
    regions = db.session.scalars(sa.select(Region).where(Region.active.is_(True)).order_by(Region.path)).all()
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


# The service taxonomy and the region tree -------------------------------------------------------------------

def _locale_name() -> str:
    return str(get_locale() or "zh_CN")


def _category_parent_choices() -> list:
    parents = db.session.scalars(sa.select(Category).where(Category.active.is_(True),
                                                           Category.level < taxonomy.MAX_CATEGORY_LEVEL)
                                 .order_by(Category.code)).all()
    return choices([(0, _("— a new sector —"))] + [
        (c.id, f"{'· ' * (c.level - 1)}{c.display_name(_locale_name())}") for c in parents])


def _skill_category_choices() -> list:
    categories = db.session.scalars(sa.select(Category).where(Category.active.is_(True))
                                    .order_by(Category.code)).all()
    return choices([(0, "—")] + [(c.id, f"{'· ' * (c.level - 1)}{c.display_name(_locale_name())}")
                                 for c in categories])


def _taxonomy_page(category_form=None, skill_form=None):
    category_form = category_form or CategoryForm(formdata=None, prefix="category")
    skill_form = skill_form or SkillForm(formdata=None, prefix="skill")
    category_form.parent.choices = _category_parent_choices()
    skill_form.category.choices = _skill_category_choices()
    return render_template("admin/taxonomy.html", categories=queries.taxonomy(), skills=queries.skills(),
                           category_form=category_form, skill_form=skill_form)


@blueprint.get("/taxonomy")
@role_required(Role.admin)
def taxonomy_page():
    return _taxonomy_page()


@blueprint.post("/taxonomy/categories")
@role_required(Role.admin)
def category_add():
    form = CategoryForm(prefix="category")
    form.parent.choices = _category_parent_choices()
    if perform(lambda: taxonomy.add_category(
            parent=db.session.get(Category, form.parent.data or 0), code=form.code.data, name=form.name.data,
            name_en=form.name_en.data, actor=current_user),
            form=form, done=lambda c: _("Added to the taxonomy: %(name)s.", name=c.name)):
        return redirect(url_for("admin.taxonomy_page"))
    return _taxonomy_page(category_form=form)


@blueprint.post("/taxonomy/skills")
@role_required(Role.admin)
def skill_add():
    form = SkillForm(prefix="skill")
    form.category.choices = _skill_category_choices()
    if perform(lambda: taxonomy.add_skill(
            code=form.code.data, name=form.name.data, name_en=form.name_en.data,
            is_certificate=form.is_certificate.data, category=db.session.get(Category, form.category.data or 0),
            actor=current_user),
            form=form, done=lambda s: _("Skill added: %(name)s.", name=s.name)):
        return redirect(url_for("admin.taxonomy_page"))
    return _taxonomy_page(skill_form=form)


def _edit_page(kind: str, row, form=None):
    form = form or NamesForm(formdata=None, data={"name": row.name, "name_en": row.name_en})
    blockers = taxonomy.retirement_blockers(row) if kind == "region" else None
    return render_template("admin/names_edit.html", kind=kind, row=row, form=form, blockers=blockers,
                           back=url_for("admin.regions_page" if kind == "region" else "admin.taxonomy_page"))


_MODELS = {"category": Category, "skill": Skill, "region": Region}
_RENAME = {"category": taxonomy.rename_category, "skill": taxonomy.rename_skill, "region": taxonomy.rename_region}
_RETIRE = {"category": taxonomy.retire_category, "skill": taxonomy.retire_skill, "region": taxonomy.retire_region}
_KINDS = "any(category, skill, region)"


@blueprint.route(f"/<{_KINDS}:kind>/<int:row_id>/edit", methods=["GET", "POST"])
@role_required(Role.admin)
def names_edit(kind, row_id):
    """Rename a category, skill or region (Chinese and English names); its code stays."""
    row = db.get_or_404(_MODELS[kind], row_id)
    form = NamesForm()
    if perform(lambda: _RENAME[kind](row, name=form.name.data, name_en=form.name_en.data, actor=current_user),
               form=form, done=_("Renamed: %(name)s.", name=form.name.data)):
        return redirect(url_for("admin.names_edit", kind=kind, row_id=row.id))
    return _edit_page(kind, row, form if request.method == "POST" else None)


@blueprint.post(f"/<{_KINDS}:kind>/<int:row_id>/retire")
@role_required(Role.admin)
def retire(kind, row_id):
    """Retire a category, skill or region: offered on no new form, existing records keep it."""
    row = db.get_or_404(_MODELS[kind], row_id)
    perform(lambda: _RETIRE[kind](row, actor=current_user),
            done=_("Retired: %(name)s. Records that name it keep it.", name=row.name), category="warning")
    return redirect(url_for("admin.names_edit", kind=kind, row_id=row.id))


def _region_parent_choices() -> list:
    parents = db.session.scalars(sa.select(Region).where(Region.active.is_(True),
                                                         Region.level != RegionLevel.grid)
                                 .order_by(Region.path)).all()
    return choices([(r.id, f"{'· ' * (r.level.value - 1)}{r.display_name(_locale_name())} ({r.code})")
                    for r in parents])


def _regions_page(form=None):
    form = form or RegionForm(formdata=None)
    form.parent.choices = _region_parent_choices()
    return render_template("admin/regions.html", regions=queries.region_tree(), form=form)


@blueprint.get("/regions")
@role_required(Role.admin)
def regions_page():
    return _regions_page()


@blueprint.post("/regions")
@role_required(Role.admin)
def region_add():
    form = RegionForm()
    form.parent.choices = _region_parent_choices()
    if perform(lambda: taxonomy.add_region(db.session.get(Region, form.parent.data), code=form.code.data,
                                            name=form.name.data, name_en=form.name_en.data, actor=current_user),
               form=form, done=lambda r: _("Region added: %(name)s.", name=r.name)):
        return redirect(url_for("admin.regions_page"))
    return _regions_page(form)
