"""Linkage: the platform for the linkage of the four social forces."""
from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from typing import Any, Optional

from flask import Flask

from linkage import config as config_module, jobs, production, settings
from linkage.extensions import babel, bootstrap, csrf, db, limiter, login_manager, migrate

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def create_app(config: Optional[Mapping[str, Any]] = None) -> Flask:
    """Build the application; ``config`` overrides settings read from the environment."""
    instance_path = ((config or {}).get("INSTANCE_PATH") or os.environ.get("LINKAGE_INSTANCE_PATH")
                     or os.path.join(ROOT, "instance"))
    app = Flask(__name__, template_folder=os.path.join(ROOT, "templates"), instance_path=instance_path)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.update(config_module.from_environment(app.instance_path))
    if config:
        app.config.update(config)
        sources = app.config[settings.SOURCES_KEY]
        sources.update({name: "configuration" for name in config if name in settings.REGISTRY})
    production.refuse_incomplete(app)
    _ensure_secrets(app)
    _trust_proxies(app)
    app.extensions["linkage_pid"] = os.getpid()  # background jobs tell a forked worker by it
    register_extensions(app)
    register_operations(app)
    register_request_checks(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_commands(app)
    jobs.schedule_in_process(app)
    return app


def _ensure_secrets(app: Flask) -> None:
    """Keys come from the environment; the embedded default keeps generated ones in the instance folder
    (``flask check`` reports which)."""
    generated = app.extensions.setdefault("linkage_generated_keys", {})
    for name, filename, size in (("SECRET_KEY", "secret.key", 32), ("DATA_KEY", "data.key", 32),
                                 ("AUDIT_KEY", "audit.key", 32)):
        if app.config.get(name):
            continue
        path = os.path.join(app.instance_path, filename)
        if not os.path.exists(path):
            with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as handle:
                handle.write(secrets.token_hex(size))
        with open(path) as handle:
            app.config[name] = handle.read().strip()
        generated[name] = path


def _trust_proxies(app: Flask) -> None:
    """Behind ``TRUSTED_PROXIES`` reverse proxies, take the client's address and scheme from the
    headers those proxies set (and only as many hops as there are proxies)."""
    hops = app.config.get("TRUSTED_PROXIES") or 0
    if hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


def register_extensions(app: Flask) -> None:
    from linkage import database, models  # noqa: F401  (models registers the tables)
    from linkage import audit, seals  # noqa: F401  (the anchor and the row seals follow every commit)
    from linkage import headers
    from linkage.i18n import select_locale, select_timezone

    database.configure_engine_options(app)
    db.init_app(app)
    with app.app_context():
        database.install_engine_hooks(db.engine)
    migrate.init_app(app, db, directory=os.path.join(ROOT, "migrations"), render_as_batch=True,
                     compare_type=True)
    login_manager.init_app(app)
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    # flask-limiter keeps the site-wide limits of the first app it served; each app takes its own.
    limiter.limit_manager.set_default_limits([])
    limiter.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone,
                   default_translation_directories=os.path.join(ROOT, "linkage", "translations"))
    bootstrap.init_app(app)
    headers.init_app(app)


def register_operations(app: Flask) -> None:
    """The request log and metrics (first of the request hooks, so every request is timed)."""
    from linkage.operations import request_log

    request_log.init_app(app)


def register_request_checks(app: Flask) -> None:
    """Input no route can answer: ids beyond the id columns (the ``int`` converter, set before any
    route is added) and NUL characters in the path or query string."""
    from linkage.web import IdConverter, refuse_unreadable_request

    app.url_map.converters["int"] = IdConverter
    app.before_request(refuse_unreadable_request)


def register_blueprints(app: Flask) -> None:
    from linkage.admin.views import blueprint as admin
    from linkage.auth.views import blueprint as auth
    from linkage.cases.views import blueprint as cases
    from linkage.community.views import blueprint as community
    from linkage.imports.views import blueprint as imports
    from linkage.contracts.views import blueprint as contracts
    from linkage.dashboards.views import blueprint as dashboards
    from linkage.forecast.views import blueprint as forecast
    from linkage.main.views import blueprint as main
    from linkage.matching.views import blueprint as matching
    from linkage.meetings.views import blueprint as meetings
    from linkage.needs.views import blueprint as needs
    from linkage.operations.views import blueprint as operations
    from linkage.organizations.views import blueprint as organizations
    from linkage.projects.views import blueprint as projects
    from linkage.public.views import blueprint as public
    from linkage.ratings.views import blueprint as ratings
    from linkage.records.views import blueprint as records
    from linkage.shifts.views import blueprint as shifts
    from linkage.skills.views import blueprint as skills
    from linkage.volunteers.views import blueprint as volunteers

    for blueprint in (main, auth, community, imports, needs, organizations, projects, contracts, forecast, shifts,
                      volunteers, skills, records, matching, cases, meetings, admin, operations, public, ratings,
                      dashboards):
        app.register_blueprint(blueprint)


def register_errorhandlers(app: Flask) -> None:
    from linkage.main.errors import register

    register(app)


def register_template_helpers(app: Flask) -> None:
    from linkage.main.template_helpers import register

    register(app)


def register_commands(app: Flask) -> None:
    from linkage.cli import register

    register(app)
