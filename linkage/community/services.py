"""Residents and accounts: registration with consent, the logged reveal of a full ID number,
verification of self-registered accounts. Services flush, never commit; they raise ``Refused``."""
from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Optional

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from linkage import audit, notifications, settings, timeutil
from linkage.auth import services as auth_services
from linkage.community.access import can_register_resident_in, can_reveal_id, can_verify_account
from linkage.errors import Refused
from linkage.extensions import db
from linkage.identifiers import parse_resident_id
from linkage.models import AccountStatus, Region, Resident, User, VulnerableTag
from linkage.models.people import age_on
from linkage.security import blind_index, decrypt, encrypt

# Why an ID number is refused, one message per problem found by linkage.identifiers.
ID_NUMBER_PROBLEMS = {
    "length": _l("A resident ID number has exactly 18 characters."),
    "characters": _l("A resident ID number is 17 digits followed by a digit or the letter X."),
    "birth_date": _l("The birth date in this ID number (characters 7 to 14) is not a possible date."),
    "check": _l("The last character does not match the others: check the number for a typing mistake."),
}
DUPLICATE_ID = _l("A resident with this ID number is already registered.")
# A mobile number, or a landline number with its area code.
PHONE_PATTERN = r"^(1[0-9]{10}|0[0-9]{2,3}-?[0-9]{7,8})$"
PHONE_PROBLEM = _l("Enter an 11-digit mobile number or a landline number with its area code.")
MIN_REASON_LENGTH = 4
# "minor" is not chosen by staff: it follows from the birth date in the ID number.
CHOOSABLE_TAGS = (VulnerableTag.elderly_alone, VulnerableTag.disabled, VulnerableTag.special_hardship)


def normalize_id_number(text: Optional[str]) -> str:
    """Full-width digits and X (as Chinese input methods type them) as ASCII, upper case, without spaces."""
    return unicodedata.normalize("NFKC", text or "").replace(" ", "").upper()


def check_id_number(number: str):
    """``(info, None)`` or ``(None, problem)`` for a normalized ID number; only ASCII digits count."""
    if not number.isascii():
        return None, "characters"
    return parse_resident_id(number)


def id_number_problem(text: Optional[str]):
    """The message saying why ``text`` is not a valid resident ID number, or None."""
    _info, problem = check_id_number(normalize_id_number(text))
    return ID_NUMBER_PROBLEMS[problem] if problem else None


def register_resident(*, actor: User, name: str, id_number: str, region: Optional[Region], address: str = "",
                      phone: Optional[str] = None, tags: Iterable[VulnerableTag] = (), health_notes: str = "",
                      consent: bool = False, today: Optional[date] = None) -> Resident:
    """Register a resident after their consent; the ID number is stored encrypted with a blind index.

    Birth date and gender are read from the ID number whenever needed (never stored apart from it);
    the "minor" tag follows from the age alone.
    """
    name = (name or "").strip()
    if not name:
        raise Refused(_l("Enter the resident's name."), field="name")
    if not can_register_resident_in(actor, region):
        raise Refused(_l("Choose a community or grid in your own area."), field="region")
    if not consent:
        raise Refused(_l("Record the resident's consent to the processing of their data first."),
                      field="consent")
    number = normalize_id_number(id_number)
    info, problem = check_id_number(number)
    if problem:
        raise Refused(ID_NUMBER_PROBLEMS[problem], field="id_number")
    index = blind_index(number)
    if db.session.scalar(sa.select(Resident.id).where(Resident.id_number_index == index)) is not None:
        raise Refused(DUPLICATE_ID, field="id_number")
    resident = Resident(
        name=name, id_number_encrypted=encrypt(number), id_number_index=index,
        health_notes_encrypted=encrypt((health_notes or "").strip()), phone=(phone or "").strip() or None,
        address=(address or "").strip(), region=region, latitude=region.latitude, longitude=region.longitude,
        consent_at=timeutil.now(), created_by_id=actor.id)
    wanted = set(tags) - {VulnerableTag.minor}
    if age_on(info.birth_date, today or timeutil.today()) < settings.get("ADULT_AGE"):
        wanted.add(VulnerableTag.minor)
    resident.tags = wanted
    try:
        # The unique blind index settles a race between two clerks registering the same person.
        with db.session.begin_nested():
            db.session.add(resident)
            db.session.flush()
    except sa.exc.IntegrityError:
        raise Refused(DUPLICATE_ID, field="id_number") from None
    audit.record(actor, "resident.register", resident,
                 after=audit.snapshot(resident, "region_id", "tags", "consent_at"))
    return resident


@dataclass(frozen=True)
class RevealedRecord:
    id_number: str
    birth_date: Optional[date]
    health_notes: Optional[str]


def reveal_id_number(resident: Resident, *, actor: User, reason: str) -> RevealedRecord:
    """The full ID number (and health notes) for one look, logged with the reason (``resident.reveal_id``)."""
    reason = (reason or "").strip()
    if not can_reveal_id(actor, resident):
        raise Refused(_l("You may not see this resident's full record."))
    if len(reason) < MIN_REASON_LENGTH:
        raise Refused(_l("Write why you need the full ID number (at least %(n)s characters).",
                         n=MIN_REASON_LENGTH), field="reason")
    if not resident.id_number_encrypted:
        raise Refused(_l("No ID number is on file for this resident."))
    audit.record(actor, "resident.reveal_id", resident, note=reason)
    return RevealedRecord(id_number=decrypt(resident.id_number_encrypted), birth_date=resident.birth_date,
                          health_notes=decrypt(resident.health_notes_encrypted))


def reject_account(account: User, reason: str, *, actor: User) -> None:
    """Do not accept a self-registered volunteer, resident or organization admin, with the reason;
    they are told, and the sign-in page tells them why."""
    reason = (reason or "").strip()
    if not can_verify_account(actor, account):
        raise Refused(_l("This account is outside your area."))
    if len(reason) < MIN_REASON_LENGTH:
        raise Refused(_l("Write why the account is not accepted (at least %(n)s characters): the person "
                         "will read it.", n=MIN_REASON_LENGTH), field="reason")
    account = db.session.scalars(sa.select(User).where(User.id == account.id).with_for_update()
                                 .execution_options(populate_existing=True)).one()
    if account.status != AccountStatus.pending:
        raise Refused(_l("This account is not waiting for verification (someone may have just decided on it)."))
    auth_services.reject_account(account, reason, actor=actor)
    notifications.notify([account], "account_rejected", reason=reason)


def verify_account(account: User, *, actor: User) -> None:
    """Confirm a self-registered volunteer, resident or organization admin; they are notified."""
    if not can_verify_account(actor, account):
        raise Refused(_l("This account is outside your area."))
    # Lock the row (PostgreSQL) so two staff clicking at once verify, log and notify only once.
    account = db.session.scalars(sa.select(User).where(User.id == account.id).with_for_update()
                                 .execution_options(populate_existing=True)).one()
    if account.status != AccountStatus.pending:
        raise Refused(_l("This account is not waiting for verification (someone may have just verified it)."))
    auth_services.verify_account(account, actor=actor)
    notifications.notify([account], "account_verified", link=notifications.link("main.home"))
