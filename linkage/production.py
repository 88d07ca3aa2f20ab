"""Production: ``LINKAGE_ENV=production``. The app refuses to start there until every setting a
public site needs is given; the embedded demo's generated keys and SQLite file are for development."""
from __future__ import annotations

from collections.abc import Mapping

from flask import Flask

# The keys a production site takes from its environment, never from files generated in the instance folder.
KEYS = (("SECRET_KEY", "SECRET_KEY"), ("DATA_KEY", "LINKAGE_DATA_KEY"), ("AUDIT_KEY", "LINKAGE_AUDIT_KEY"))


class ProductionConfigError(RuntimeError):
    """Production settings are missing; the message names every one."""


def is_production(config: Mapping) -> bool:
    return config.get("LINKAGE_ENV") == "production"


def missing_settings(config: Mapping) -> list[str]:
    """What a production site lacks, one sentence per setting."""
    missing = [f"{variable} is not set" for name, variable in KEYS if not config.get(name)]
    if config.get("SQLALCHEMY_DATABASE_URI", "").startswith("sqlite"):
        missing.append("DATABASE_URL is not set or names SQLite (production runs on PostgreSQL)")
    if not config.get("REDIS_URL"):
        missing.append("REDIS_URL is not set (match runs and rate limits need the Redis shared by all processes)")
    if not config.get("SESSION_COOKIE_SECURE"):
        missing.append("SESSION_COOKIE_SECURE is off (cookies must travel over HTTPS only)")
    return missing


def refuse_incomplete(app: Flask) -> None:
    """Stop a production app that lacks any of its settings, naming them all at once."""
    if not is_production(app.config):
        return
    missing = missing_settings(app.config)
    if missing:
        raise ProductionConfigError("LINKAGE_ENV=production, but: " + "; ".join(missing) + ".")
