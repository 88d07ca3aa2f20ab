"""Access checks in one place: coarse role checks and scope checks. Refusals are 403s."""
from __future__ import annotations

from functools import wraps
from typing import Optional

from flask import abort
from flask_login import current_user, login_required

from linkage.models import Region, Role, User


def role_required(*roles: Role):
    """Let only signed-in users with one of ``roles`` (or admins) through; others get 403."""
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles and current_user.role != Role.admin:
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorator


def verified_required(view):
    """Signed-in and verified by staff; pending accounts see a 403 that says so."""
    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.is_verified:
            abort(403, description="pending")
        return view(*args, **kwargs)
    return wrapped


def require(condition: bool) -> None:
    """Abort with 403 unless ``condition`` holds (for object-level checks in views)."""
    if not condition:
        abort(403)


def can_see_region(user: User, region: Optional[Region]) -> bool:
    """Whether ``region`` lies in the account's scope (admins see everything)."""
    if user.role == Role.admin:
        return True
    return user.region is not None and user.region.contains(region)
