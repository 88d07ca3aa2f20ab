"""Log-in throttling: failed attempts counted per account and per address in the rate-limit storage.

The storage is flask-limiter's (Redis when ``REDIS_URL`` is set, so every app server sees the same
counts; memory otherwise). ``LOGIN_FAILURE_LIMIT`` failures for one username, or
``LOGIN_IP_FAILURE_LIMIT`` from one address, within ``LOGIN_LOCKOUT_SECONDS`` lock log-in (and
password changes) for that username or address until the period has passed; the right password
is refused meanwhile. Usernames are counted whether or not an account has them, so a lock-out
tells nothing about which accounts exist."""
from __future__ import annotations

from flask import current_app
from limits import RateLimitItemPerSecond

from linkage.extensions import limiter


def _limits() -> tuple[tuple[str, RateLimitItemPerSecond], ...]:
    config = current_app.config
    seconds = config["LOGIN_LOCKOUT_SECONDS"]
    return (("account", RateLimitItemPerSecond(config["LOGIN_FAILURE_LIMIT"], seconds)),
            ("address", RateLimitItemPerSecond(config["LOGIN_IP_FAILURE_LIMIT"], seconds)))


def _keys(username: str, address: str) -> dict[str, tuple[str, ...]]:
    prefix = current_app.config["RATELIMIT_KEY_PREFIX"]
    return {"account": (prefix, "login-failures", "account", username.strip().lower()),
            "address": (prefix, "login-failures", "address", address or "-")}


def locked(username: str, address: str) -> bool:
    """Whether log-in is locked for this username or from this address."""
    keys = _keys(username, address)
    return any(not limiter.limiter.test(item, *keys[kind]) for kind, item in _limits())


def record_failure(username: str, address: str) -> None:
    """Count one failed attempt against the username and the address."""
    keys = _keys(username, address)
    for kind, item in _limits():
        limiter.limiter.hit(item, *keys[kind])


def forget_failures(username: str) -> None:
    """A successful log-in clears the username's count (the address keeps its own)."""
    account = dict(_limits())["account"]
    limiter.limiter.clear(account, *_keys(username, "")["account"])
