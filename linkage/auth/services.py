"""Accounts: registration, log-in, verification, password changes."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Optional

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from linkage import audit, notifications, timeutil
from linkage.auth import passwords, throttle
from linkage.community import claims, consents
from linkage.errors import Refused
from linkage.extensions import db
from linkage.identifiers import parse_resident_id
from linkage.models import (AccountStatus, AuditEvent, ConsentChannel, Region, Resident, ResidentClaim, Role, User,
                            Volunteer, VolunteerStatus)
from linkage.security import blind_index, check_password, encrypt, hash_password
from linkage.volunteers import services as volunteer_services


class AccountError(Refused):
    """A refused account operation; ``field`` names the form field at fault."""


class UsernameTaken(AccountError):
    """Another account already has the username (staff creating accounts are told so)."""


LOCKED_MESSAGE = _l("Too many failed attempts. Wait a while before you try again.")


def find_user(username: str) -> Optional[User]:
    return db.session.scalar(sa.select(User).where(sa.func.lower(User.username) == username.strip().lower()))


def authenticate(username: str, password: str) -> Optional[User]:
    """The user whose credentials these are, or None. Upgrades outdated password hashes."""
    user = find_user(username)
    if user is None:
        # Same work as a real check, so timing does not tell which usernames exist.
        hash_password(password)
        return None
    ok, new_hash = check_password(user.password_hash, password)
    if not ok:
        return None
    if new_hash:
        user.password_hash = new_hash
    return user


@dataclass
class SignIn:
    """What a log-in attempt came to: the account, or none; ``locked`` when throttling refused it."""
    user: Optional[User]
    locked: bool = False


def sign_in(username: str, password: str, *, address: str) -> SignIn:
    """Check a log-in attempt under the throttle and audit it when it fails.

    Unknown usernames, wrong passwords and lock-outs cost the same password hash and leave the
    same trace, so neither the answer nor its timing tells whether an account exists."""
    if throttle.locked(username, address):
        hash_password(password)
        _audit_attempt("user.login_locked", username, address)
        return SignIn(None, locked=True)
    user = authenticate(username, password)
    if user is None:
        throttle.record_failure(username, address)
        _audit_attempt("user.login_failed", username, address)
        return SignIn(None)
    throttle.forget_failures(username)
    return SignIn(user)


def _audit_attempt(action: str, username: str, address: str) -> None:
    audit.record(None, action, find_user(username), note=f"{username.strip()[:64]} @ {address}")


def require_good_password(password: str, username: str, *, field: str) -> None:
    """Refuse a password the policy does not accept, on ``field``."""
    problem = passwords.weakness(password, username)
    if problem is not None:
        raise AccountError(problem, field=field)


def end_sessions(user: User) -> None:
    """Sign the account out everywhere: every session and remember-me cookie it holds stops working."""
    user.session_version += 1


def sign_out(user: User) -> None:
    """Log-out ends every session of the account, on every device, not only this browser's."""
    end_sessions(user)
    audit.record(user, "user.logout", user)


def create_user(*, username: str, password: str, display_name: str, role: Role, region: Optional[Region],
                actor: Optional[User], status: AccountStatus = AccountStatus.active,
                organization_id: Optional[int] = None, phone: Optional[str] = None,
                email: Optional[str] = None, locale: Optional[str] = None) -> User:
    if find_user(username) is not None:
        raise UsernameTaken(_l("This username is taken; choose another."), field="username")
    require_good_password(password, username, field="password")
    user = User(username=username.strip(), display_name=display_name.strip(), role=role, status=status,
                region=region, organization_id=organization_id, phone=phone, email=email, locale=locale,
                password_hash=hash_password(password))
    db.session.add(user)
    db.session.flush()
    audit.record(actor or user, "user.create", user,
                 after=audit.snapshot(user, "username", "role", "status", "region_id", "organization_id"))
    return user


def register(*, username: str, password: str, display_name: str, role: Role, community: Region,
             phone: Optional[str] = None, locale: Optional[str] = None, id_number: Optional[str] = None,
             today: Optional[date] = None, consent: bool = False) -> Optional[User]:
    """Self-registration: volunteers, residents and organization admins start pending.

    A resident who gives their ID number whose blind index matches a record staff already keep gets no
    second record: a claim on that record waits for staff to confirm it with the account; otherwise
    their new record keeps the number (encrypted, with its blind index) so staff can never add them twice.
    A volunteer likewise claims the record staff keep without an account (registered in person or
    imported); a number whose record has an account is refused.

    A username that is taken creates nothing and returns None; the page answers the same either way
    (so it tells no one which usernames exist) and the account's owner gets a notice instead."""
    if role not in (Role.volunteer, Role.resident, Role.org_admin):
        raise AccountError(_l("This role cannot register itself."), field="role")
    number = "".join((id_number or "").split()).upper() if role == Role.resident else ""
    if number and parse_resident_id(number)[1] is not None:
        raise AccountError(_l("This is not a valid resident ID number: check it for a typing mistake."),
                           field="id_number")
    if role == Role.resident and not consent:
        raise AccountError(_l("Residents register after consenting to the keeping and use of their personal "
                              "data: tick the box."), field="consent")
    require_good_password(password, username, field="password")
    kept = None
    if role == Role.volunteer:  # real-name registration: a valid ID number of someone old enough
        kept = volunteer_services.claimable_record(id_number)   # kept by staff without an account: claimed
        id_number = volunteer_services.checked_id_number(id_number, today=today or timeutil.today(), volunteer=kept)
    existing = find_user(username)
    if existing is not None:
        hash_password(password)  # the same work as a real registration
        notifications.notify([existing], "registration_with_your_username")
        audit.record(None, "user.register_taken", existing)
        return None
    user = create_user(username=username, password=password, display_name=display_name, role=role,
                       region=community, actor=None, status=AccountStatus.pending, phone=phone, locale=locale)
    if kept is not None:
        volunteer_services.claim_record(user, kept)
    elif role == Role.volunteer:
        volunteer = Volunteer(user=user, name=user.display_name, phone=phone, region=community,
                              latitude=community.latitude, longitude=community.longitude,
                              status=VolunteerStatus.pending)
        volunteer.set_id_number(id_number)
        volunteer_services.add_volunteer(volunteer)   # numbered from registration on
    elif role == Role.resident:
        _resident_record(user, number, community, phone)
    db.session.flush()
    return user


def _resident_record(user: User, number: str, community: Region, phone: Optional[str]) -> None:
    """The self-registered resident's record, or their claim on the one staff keep (same ID number), with
    the consent they gave on the registration form."""
    index = blind_index(number) if number else None
    kept = db.session.scalar(sa.select(Resident).where(Resident.id_number_index == index)) if index else None
    if kept is not None:
        claims.file_claim(ResidentClaim(user=user, resident=kept))
        consents.record_at_registration(kept, actor=user, channel=ConsentChannel.resident_self)
        return
    resident = Resident(user=user, name=user.display_name, phone=phone, region=community,
                        latitude=community.latitude, longitude=community.longitude, consent_at=timeutil.now(),
                        id_number_encrypted=encrypt(number) if number else None, id_number_index=index)
    db.session.add(resident)
    consents.record_at_registration(resident, actor=user, channel=ConsentChannel.resident_self)


def verify_account(user: User, *, actor: User) -> None:
    """Staff confirm a self-registered person; their volunteer record becomes active too."""
    if user.status != AccountStatus.pending:
        raise AccountError(
            _l("This account is not waiting for verification (someone may have just verified it)."))
    before = audit.snapshot(user, "status")
    user.status = AccountStatus.active
    volunteer = db.session.scalar(sa.select(Volunteer).where(Volunteer.user_id == user.id))
    if volunteer is not None and volunteer.status == VolunteerStatus.pending:
        volunteer.status = VolunteerStatus.active
    audit.record(actor, "user.verify", user, before=before, after=audit.snapshot(user, "status"))


def reject_account(user: User, reason: str, *, actor: User) -> None:
    """Staff do not accept a self-registered person; the account can no longer sign in."""
    if user.status != AccountStatus.pending:
        raise AccountError("status", "not_pending")
    before = audit.snapshot(user, "status")
    user.status = AccountStatus.rejected
    end_sessions(user)
    audit.record(actor, "user.reject", user, before=before, after=audit.snapshot(user, "status"), note=reason)


def rejection_reason(user: User) -> str:
    """Why the account was not accepted: the note of its latest rejection in the audit trail."""
    return db.session.scalar(
        sa.select(AuditEvent.note).where(AuditEvent.action == "user.reject", AuditEvent.subject_type == "User",
                                         AuditEvent.subject_id == user.id)
        .order_by(AuditEvent.id.desc()).limit(1)) or ""


def change_password(user: User, *, current: str, new: str, address: str = "") -> None:
    """Check the current password under the log-in throttle, then store the new one and end other sessions."""
    if throttle.locked(user.username, address):
        raise AccountError(LOCKED_MESSAGE, field="current_password")
    ok, _ = check_password(user.password_hash, current)
    if not ok:
        throttle.record_failure(user.username, address)
        raise AccountError(_l("The current password is wrong."), field="current_password")
    require_good_password(new, user.username, field="new_password")
    user.password_hash = hash_password(new)
    end_sessions(user)
    audit.record(user, "user.password_change", user)


def set_locale(user: User, locale: str) -> None:
    user.locale = locale


def load_user(user_id: str) -> Optional[User]:
    """Flask-Login's loader: the id carries the session version, so old sessions end."""
    try:
        raw_id, version = user_id.split(":")
        user = db.session.get(User, int(raw_id))
    except (ValueError, TypeError):
        return None
    if user is None or str(user.session_version) != version or not user.is_active:
        return None
    return user
