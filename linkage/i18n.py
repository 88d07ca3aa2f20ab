"""Language and time zone selection."""
from __future__ import annotations

from flask import current_app, has_request_context, request, session
from flask_login import current_user


def select_locale() -> str:
    """The user's choice (account, then session), else the browser's best match, else Chinese."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI commands and background jobs
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and getattr(current_user, "is_authenticated", False) and current_user.locale in languages:
        return current_user.locale
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    # Accept-Language uses "zh-CN"; match on the language part too ("zh" -> zh_CN).
    by_language = {code.split("_")[0]: code for code in languages}
    best = request.accept_languages.best_match(
        [code.replace("_", "-") for code in languages] + list(by_language))
    if best:
        return by_language.get(best, best.replace("-", "_"))
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]
