"""Settings, read from the environment; tests pass an override mapping to ``create_app``.

The locality settings (domain rules that differ between places) are declared in ``linkage.settings``,
which also reads them from ``LINKAGE_<NAME>`` variables and ``instance/settings.toml``."""
import os
from datetime import timedelta

from linkage import settings


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.lower() in {"1", "true", "yes", "on"}


def from_environment(instance_path: str) -> dict:
    """Return the configuration for an app whose instance folder is ``instance_path``."""
    database_url = os.environ.get("DATABASE_URL") or (
        "sqlite:///" + os.path.join(instance_path, "linkage.sqlite3"))
    if database_url.startswith("postgres://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgres://"):]
    elif database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://"):]
    locality, sources = settings.load(instance_path)
    environment = os.environ.get("LINKAGE_ENV", "development")
    return {
        **locality,                       # the locality settings (linkage/settings.py declares them)
        settings.SOURCES_KEY: sources,
        # "production" refuses to start without the settings a public site needs (linkage/production.py).
        "LINKAGE_ENV": environment,
        # The prefix of every purchase's open contracting identifier (ocid): prefix + project number.
        "OCDS_PREFIX": os.environ.get("LINKAGE_OCDS_PREFIX", "ocds-linkage-"),
        "SECRET_KEY": os.environ.get("SECRET_KEY"),
        "DATA_KEY": os.environ.get("LINKAGE_DATA_KEY"),
        # Keys the audit chain, its checkpoints and the row seals; keep it off the database host.
        "AUDIT_KEY": os.environ.get("LINKAGE_AUDIT_KEY"),
        # Signed checkpoints of the audit chain, appended after every commit that recorded events.
        "AUDIT_ANCHOR_PATH": os.environ.get("LINKAGE_AUDIT_ANCHOR_PATH") or os.path.join(
            instance_path, "audit-anchor.log"),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": os.environ.get("REDIS_URL"),
        "SESSION_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", False),
        # How many reverse proxies in front of the app set X-Forwarded-For/-Proto/-Host (0: none,
        # and those headers are ignored, so a client cannot choose the address log-in throttling counts).
        "TRUSTED_PROXIES": int(os.environ.get("LINKAGE_TRUSTED_PROXIES", "0")),
        # Strict-Transport-Security: only where the site is served over HTTPS (production), so it
        # follows secure cookies unless LINKAGE_HSTS says otherwise; never in tests or over plain http.
        "HSTS": _bool("LINKAGE_HSTS", _bool("SESSION_COOKIE_SECURE", False)),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_DURATION": timedelta(days=14),
        "REMEMBER_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", False),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        # Log-in throttling: failures per account and per address before a lock-out, and its length.
        "LOGIN_FAILURE_LIMIT": int(os.environ.get("LINKAGE_LOGIN_FAILURE_LIMIT", "5")),
        "LOGIN_IP_FAILURE_LIMIT": int(os.environ.get("LINKAGE_LOGIN_IP_FAILURE_LIMIT", "30")),
        "LOGIN_LOCKOUT_SECONDS": int(os.environ.get("LINKAGE_LOGIN_LOCKOUT_SECONDS", "900")),
        # Requests per address to the log-in and password pages, whatever their outcome.
        "LOGIN_RATE_LIMIT": os.environ.get("LINKAGE_LOGIN_RATE_LIMIT", "30 per minute"),
        "RATELIMIT_KEY_PREFIX": os.environ.get("LINKAGE_RATELIMIT_KEY_PREFIX", "linkage-limits"),
        "PASSWORD_MIN_LENGTH": int(os.environ.get("LINKAGE_PASSWORD_MIN_LENGTH", "10")),
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=12),
        "WTF_CSRF_TIME_LIMIT": None,
        "BABEL_DEFAULT_LOCALE": "zh_CN",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
        "LANGUAGES": ["zh_CN", "en"],
        "BOOTSTRAP_SERVE_LOCAL": True,
        "PER_PAGE": 25,
        "JOB_MODE": os.environ.get("LINKAGE_JOB_MODE"),
        "JOB_QUEUE": os.environ.get("LINKAGE_JOB_QUEUE", "linkage"),
        "JOB_THREADS": 1,                 # background threads when there is no Redis
        "MATCH_WORKERS": int(os.environ.get("LINKAGE_MATCH_WORKERS", "2")),
        "MATCH_HEARTBEAT_SECONDS": float(os.environ.get("LINKAGE_MATCH_HEARTBEAT_SECONDS", "3")),
        "MATCH_STALE_SECONDS": float(os.environ.get("LINKAGE_MATCH_STALE_SECONDS", "30")),
        # A district's volunteer run is solved in this many parts, one job each (docs/matching.md).
        "MATCH_PARTS": int(os.environ.get("LINKAGE_MATCH_PARTS", "3")),
        # A connected component of more candidate pairs than this (and than 1.5 × a fair share) is cut by street.
        "MATCH_CUT_PAIRS": int(os.environ.get("LINKAGE_MATCH_CUT_PAIRS", "100000")),
        # Tries of a part whose worker stopped before the run counts as failed.
        "MATCH_PART_ATTEMPTS": int(os.environ.get("LINKAGE_MATCH_PART_ATTEMPTS", "3")),
        # Request log lines: "json" (one object a line) or "text"; JSON by default in production.
        "LOG_FORMAT": os.environ.get("LINKAGE_LOG_FORMAT") or ("json" if environment == "production" else "text"),
        # Bearer token /metrics asks for; unset, /metrics answers the loopback address only.
        "METRICS_TOKEN": os.environ.get("LINKAGE_METRICS_TOKEN"),
        # Outgoing e-mail (linkage/mail.py): unset MAIL_SERVER sends none; reminders stay in-app.
        "MAIL_SERVER": os.environ.get("MAIL_SERVER"),
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", "25")),
        "MAIL_USE_TLS": _bool("MAIL_USE_TLS", False),
        "MAIL_USE_SSL": _bool("MAIL_USE_SSL", False),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME"),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD"),
        "MAIL_SENDER": os.environ.get("MAIL_SENDER", "linkage@localhost"),
        "MAIL_TIMEOUT": float(os.environ.get("MAIL_TIMEOUT", "10")),
        # The site's address as people reach it, for links in e-mail (none when unset).
        "PUBLIC_URL": os.environ.get("LINKAGE_PUBLIC_URL"),
        # How often the worker (or, without Redis, the web process) sends due shift reminders; 0: never
        # (then run `flask reminders send` from cron).
        "REMINDER_INTERVAL_SECONDS": float(os.environ.get("LINKAGE_REMINDER_INTERVAL_SECONDS", "300")),
        # How often waiting-list offers past their deadline pass on and offers about to expire are reminded of.
        "WAITLIST_INTERVAL_SECONDS": float(os.environ.get("LINKAGE_WAITLIST_INTERVAL_SECONDS", "300")),
        # How long a sign-up waits for a contended lock (the shift's row, the audit chain) before it is
        # refused with "busy, try again" (milliseconds; 0: no limit). PostgreSQL only.
        "LOCK_TIMEOUT_MS": int(os.environ.get("LINKAGE_LOCK_TIMEOUT_MS", "2000")),
        # How often the worker (or, without Redis, the web process) flags, escalates and expires overdue
        # needs; 0: never (then run `flask needs escalate` from cron).
        "ESCALATION_INTERVAL_SECONDS": float(os.environ.get("LINKAGE_ESCALATION_INTERVAL_SECONDS", "600")),
        # How often closed needs past RETENTION_MONTHS lose their personal details (linkage.community.rights).
        "RETENTION_INTERVAL_SECONDS": float(os.environ.get("LINKAGE_RETENTION_INTERVAL_SECONDS", "86400")),
        # How often the needs forecast fits the series not fitted yet (linkage.forecast.store); 0: never (a page
        # that finds a series not fitted still asks for a fit when FORECAST_ON_DEMAND is on).
        "FORECAST_INTERVAL_SECONDS": float(os.environ.get("LINKAGE_FORECAST_INTERVAL_SECONDS", "3600")),
        "FORECAST_ON_DEMAND": os.environ.get("LINKAGE_FORECAST_ON_DEMAND", "1") != "0",
        "ARGON2_TIME_COST": int(os.environ.get("ARGON2_TIME_COST", "3")),
        "ARGON2_MEMORY_COST": int(os.environ.get("ARGON2_MEMORY_COST", "65536")),
    }
