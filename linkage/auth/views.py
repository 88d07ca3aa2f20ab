"""Sign-in, sign-out, self-registration, language and password."""
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from linkage.auth import services
from linkage.auth.forms import LoginForm, PasswordForm, RegisterForm
from linkage.extensions import db, limiter, login_manager
from linkage.forms import choices
from linkage.models import AccountStatus, Region, RegionLevel, Role
from linkage.web import perform

blueprint = Blueprint("auth", __name__, url_prefix="/auth")

login_manager.user_loader(services.load_user)
login_manager.login_view = "auth.login"
login_manager.login_message = None


def _safe_next(target):
    if target and not urlsplit(target).netloc and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("main.home")


@blueprint.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    # The attempt is audited and may store a rehashed password, hence one unit of work.
    checked = perform(lambda: services.sign_in(form.username.data, form.password.data,
                                               address=request.remote_addr or ""), form=form)
    if checked:
        user = checked.value.user
        if checked.value.locked:
            form.password.errors.append(str(services.LOCKED_MESSAGE))
        elif user is None:
            form.password.errors.append(_("Wrong username or password."))
        elif user.status == AccountStatus.rejected:
            form.username.errors.append(_("This account was not accepted: %(reason)s Contact your community "
                                          "if you think this is a mistake.",
                                          reason=services.rejection_reason(user)))
        elif not user.is_active:
            form.username.errors.append(_("This account is suspended. Contact your community."))
        else:
            login_user(user, remember=form.remember.data)
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@blueprint.post("/logout")
@login_required
def logout():
    user = current_user._get_current_object()
    perform(lambda: services.sign_out(user))
    logout_user()
    flash(_("You have signed out on every device."), "info")
    return redirect(url_for("auth.login"))


def _community_choices():
    communities = db.session.scalars(
        sa.select(Region).where(Region.level == RegionLevel.community, Region.active.is_(True))
        .order_by(Region.code)).all()
    return choices((c.id, c.name) for c in communities)


@blueprint.route("/register", methods=["GET", "POST"])
def register():
    form = RegisterForm()
    form.community.choices = _community_choices()
    registered = perform(lambda: services.register(
        username=form.username.data, password=form.password.data, display_name=form.display_name.data,
        role=Role(form.role.data), community=db.session.get(Region, form.community.data),
        phone=form.phone.data or None, locale=session.get("locale"), id_number=form.id_number.data,
        consent=bool(form.consent.data)),
        form=form, done=_("If this username was free, your account was created: sign in with it. It waits "
                          "for verification by staff; you can fill in your profile meanwhile."))
    if registered:
        # The same answer whether or not the username existed, so the page tells no one which do.
        return redirect(url_for("auth.login"))
    return render_template("auth/register.html", form=form)


@blueprint.post("/language/<code>")
def language(code):
    if code not in current_app.config["LANGUAGES"]:
        abort(404)
    session["locale"] = code
    if current_user.is_authenticated:
        perform(lambda: services.set_locale(current_user, code))
    return redirect(_safe_next(request.form.get("next") or request.referrer and urlsplit(request.referrer).path))


@blueprint.route("/password", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
@login_required
def password():
    form = PasswordForm()
    if perform(lambda: services.change_password(current_user, current=form.current_password.data,
                                                new=form.new_password.data, address=request.remote_addr or ""),
               form=form, done=_("Your password was changed; other sessions were signed out.")):
        login_user(current_user._get_current_object())
        return redirect(url_for("main.home"))
    return render_template("auth/password.html", form=form)
