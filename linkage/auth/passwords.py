"""The password policy: long enough, not a common password, not built on the username."""
from __future__ import annotations

import os
from functools import lru_cache
from flask import current_app
from flask_babel import lazy_gettext as _l

COMMON_PASSWORDS = os.path.join(os.path.dirname(__file__), "common-passwords.txt")


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The shipped list of passwords attackers try first, lower-cased."""
    with open(COMMON_PASSWORDS, encoding="utf-8") as handle:
        return frozenset(line.strip().lower() for line in handle if line.strip() and not line.startswith("#"))


def weakness(password: str, username: str = ""):
    """Why ``password`` is refused (a translatable message), or None when it is good enough."""
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        return _l("Use at least %(count)d characters.", count=minimum)
    if password.strip().lower() in common_passwords():
        return _l("This password is among the most common ones and easy to guess; choose another.")
    name = username.strip().lower()
    if len(name) >= 3 and name in password.lower():
        return _l("The password must not contain your username.")
    return None

