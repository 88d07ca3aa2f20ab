"""Residents and accounts: registration with consent, the logged reveal of a full ID number,
verification of self-registered accounts. Services flush, never commit; they raise ``Refused``."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Optional

import sqlalchemy as sa
from flask_babel import get_locale, lazy_gettext as _l

from linkage import audit, notifications, settings, timeutil
from linkage.auth import services as auth_services
from linkage.community import claims, consents
from linkage.community.access import (can_confirm_claim, can_register_resident_in, can_reveal_id, can_verify_account,
                                     in_scope)
from linkage.database import batching
from linkage.errors import Refused
from linkage.extensions import db
from linkage.identifiers import read_id_number
from linkage.models import (AccountStatus, ClaimStatus, ConsentChannel, Region, RegionLevel, Resident, ResidentClaim,
                            Role, User, VolunteerClaim, VulnerableTag)
from linkage.models.people import age_on
from linkage.security import blind_index, decrypt, encrypt

DUPLICATE_ID = _l("A resident with this ID number is already registered.")
# A mobile number, or a landline number with its area code.
PHONE_PATTERN = r"^(1[0-9]{10}|0[0-9]{2,3}-?[0-9]{7,8})$"
PHONE_PROBLEM = _l("Enter an 11-digit mobile number or a landline number with its area code.")
MIN_REASON_LENGTH = 4
# "minor" is not chosen by staff: it follows from the birth date in the ID number.
CHOOSABLE_TAGS = (VulnerableTag.elderly_alone, VulnerableTag.disabled, VulnerableTag.special_hardship)


def register_resident(*, actor: User, name: str, id_number: str, region: Optional[Region], address: str = "",
                      phone: Optional[str] = None, tags: Iterable[VulnerableTag] = (), health_notes: str = "",
                      consent: bool = False, channel: ConsentChannel = ConsentChannel.staff_in_person,
                      today: Optional[date] = None) -> Resident:
    """Register a resident after their consent; the ID number is stored encrypted with a blind index.

    ``channel``: how the consent came (in person, or collected on paper for an import); it is recorded by
    ``consents.record_at_registration``. Birth date and gender are read from the ID number whenever needed (never stored apart from it);
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
    number, info, problem = read_id_number(id_number)
    if problem:
        raise Refused(problem, field="id_number")
    index = blind_index(number)
    batched = batching(db.session)   # an import checked the file's numbers against the register first
    if not batched and db.session.scalar(sa.select(Resident.id).where(Resident.id_number_index == index)) is not None:
        raise Refused(DUPLICATE_ID, field="id_number")
    resident = Resident(
        name=name, id_number_encrypted=encrypt(number), id_number_index=index,
        health_notes_encrypted=encrypt((health_notes or "").strip()), phone=(phone or "").strip() or None,
        address=(address or "").strip(), region=region, region_id=region.id, latitude=region.latitude,
        longitude=region.longitude, consent_at=timeutil.now(), created_by_id=actor.id)
    wanted = set(tags) - {VulnerableTag.minor}
    if age_on(info.birth_date, today or timeutil.today()) < settings.get("ADULT_AGE"):
        wanted.add(VulnerableTag.minor)
    resident.tags = wanted
    if batched:
        db.session.add(resident)   # flushed with the batch, whose writer answers for the unique index
    else:
        try:
            # The unique blind index settles a race between two clerks registering the same person.
            with db.session.begin_nested():
                db.session.add(resident)
                db.session.flush()
        except sa.exc.IntegrityError:
            raise Refused(DUPLICATE_ID, field="id_number") from None
    audit.record(actor, "resident.register", resident,
                 after=audit.snapshot(resident, "region_id", "tags", "consent_at"))
    consents.record_at_registration(resident, actor=actor, channel=channel)
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


def _locked_pending(account: User, refusal) -> User:
    """The account's row, locked (PostgreSQL) so that two staff deciding at once decide, log and notify only
    once; Refused with ``refusal`` when it is no longer waiting for verification."""
    account = db.session.scalars(sa.select(User).where(User.id == account.id).with_for_update()
                                 .execution_options(populate_existing=True)).one()
    if account.status != AccountStatus.pending:
        raise Refused(refusal)
    return account


def reject_account(account: User, reason: str, *, actor: User) -> None:
    """Do not accept a self-registered volunteer, resident or organization admin, with the reason;
    they are told, and the sign-in page tells them why."""
    reason = (reason or "").strip()
    if not can_verify_account(actor, account):
        raise Refused(_l("This account is outside your area."))
    if len(reason) < MIN_REASON_LENGTH:
        raise Refused(_l("Write why the account is not accepted (at least %(n)s characters): the person "
                         "will read it.", n=MIN_REASON_LENGTH), field="reason")
    account = _locked_pending(account, _l("This account is not waiting for verification (someone may have just "
                                          "decided on it)."))
    claim = pending_claim(account)
    if claim is not None:
        claims.decide(claim, ClaimStatus.rejected, actor=actor)
    auth_services.reject_account(account, reason, actor=actor)
    notifications.notify([account], "account_rejected", reason=reason)


def verify_account(account: User, *, actor: User) -> None:
    """Confirm a self-registered volunteer, resident or organization admin; they are notified."""
    if not can_verify_account(actor, account):
        raise Refused(_l("This account is outside your area."))
    account = _locked_pending(account, _l("This account is not waiting for verification (someone may have just "
                                          "verified it)."))
    claim = pending_claim(account)
    if claim is not None:
        link_claimed_record(claim, actor=actor)
    auth_services.verify_account(account, actor=actor)
    notifications.notify([account], "account_verified", link=notifications.link("main.home"))


def pending_claim(account: User) -> Optional[ResidentClaim | VolunteerClaim]:
    """The account's claim on a record staff keep (its ID number matched), while undecided: a volunteer's
    account claims a volunteer record, a resident's a resident record."""
    model = VolunteerClaim if account.role == Role.volunteer else ResidentClaim
    return db.session.scalar(sa.select(model).where(model.user_id == account.id,
                                                    model.status == ClaimStatus.pending))


def claim_kept_elsewhere(user: User, claim: ResidentClaim | VolunteerClaim):
    """Why ``user`` cannot link an account to the record its claim matches, and who does, in words for their
    role; None when they can. Community staff: another community keeps the record. Civil affairs (above the
    communities): which community keeps it (in their area) and whether its staff or an administrator link it:
    that community's staff, when the account registered in it; otherwise only an administrator sees both."""
    if can_confirm_claim(user, claim):
        return None
    record_region = claim.record.region
    community = record_region.ancestor_at(RegionLevel.community) or record_region
    if user.role != Role.civil_affairs:
        return _l("ID number matches a record another community keeps: an administrator verifies this account and "
                  "links it to that record.")
    name = (community.display_name(str(get_locale() or "zh_CN")) if in_scope(user, community)
            else _l("a community outside your area"))
    account = db.session.get(User, claim.user_id)
    if account is not None and community.contains(account.region):
        return _l("ID number matches the record %(community)s keeps: that community's staff verify this account, "
                  "which links it to the record.", community=name)
    return _l("ID number matches the record %(community)s keeps, not the community this account registered in: an "
              "administrator verifies this account and links it to that record.", community=name)


def link_claimed_record(claim: ResidentClaim | VolunteerClaim, *, actor: User) -> None:
    """Verifying the account confirms its claim: the record staff keep becomes the account's (no second
    record). Refused when the record is another community's, or already has an account.
    ``resident.link`` or ``volunteer.link``."""
    record = claim.record
    if not can_confirm_claim(actor, claim):
        raise Refused(claim_kept_elsewhere(actor, claim))
    if record.user_id is not None:
        raise Refused(_l("The record this ID number matches already has an account: reject this one and "
                         "tell the person to sign in with theirs."))
    record.user_id = claim.user_id
    claims.decide(claim, ClaimStatus.confirmed, actor=actor)
    db.session.flush()
    audit.record(actor, claim.LINK_ACTION, record, after={"user_id": claim.user_id})
