"""Residents' consents: the one place where a consent is recorded, withdrawn and asked for.

Registration (by the resident, or staff for them, or a staff import) records consent to the keeping and use
of personal data. Every need filed (resident's own form, staff for the resident, grid worker, a call)
records consent to sharing that request with those who serve it, and to its photos when it has any.

Withdrawing a consent keeps the record (with who recorded the withdrawal, when and how) and:

- personal data: no new need may be filed for the resident until they consent again (a box the need form
  shows only then); what is kept stays for the legal minimum, under the retention rules of ``rights.py``; erasure
  is the separate request of ``rights.py``.
- sharing a request: a need not yet taken up (submitted or open) is withdrawn; one already being served
  runs to its end, the service being under way.
- photos of a request: the photos are no longer shown to anyone but the resident.

Services flush, never commit; every record and withdrawal is an audit event.
"""
from __future__ import annotations

from typing import Optional

from flask_babel import lazy_gettext as _l

from linkage import audit, timeutil
from linkage.community.access import can_see_consents, can_withdraw_consent
from linkage.database import batching
from linkage.errors import Refused
from linkage.extensions import db
from linkage.models import (ConsentChannel, ConsentPurpose, Need, NeedChannel, Resident, ResidentConsent, Role,
                            User)

NEED_PURPOSES = (ConsentPurpose.sharing, ConsentPurpose.photos)
NO_DATA_CONSENT = _l("Consent to keeping and using the resident's personal data was withdrawn: no request can be "
                     "filed until it is given again.")
NO_SHARING_CONSENT = _l("Tick the consent box once the resident has agreed that this request be shared with "
                        "those who serve it.")
NO_PHOTO_CONSENT = _l("Tick the photo consent box, or leave the photos out.")

# How a need's intake channel is told on its consents.
_NEED_CHANNELS = {NeedChannel.resident_self: ConsentChannel.resident_self,
                  NeedChannel.staff_on_behalf: ConsentChannel.staff_in_person,
                  NeedChannel.grid_worker: ConsentChannel.grid_worker,
                  NeedChannel.hotline: ConsentChannel.by_phone,
                  NeedChannel.spreadsheet: ConsentChannel.spreadsheet}
# Channels a staff member may name when recording a withdrawal told to them.
STAFF_WITHDRAWAL_CHANNELS = (ConsentChannel.staff_in_person, ConsentChannel.by_phone)


def channel_of_need(channel: NeedChannel) -> ConsentChannel:
    return _NEED_CHANNELS[channel]


def current(resident: Resident, purpose: ConsentPurpose, need: Optional[Need] = None) -> Optional[ResidentConsent]:
    """The newest consent on file to ``purpose`` (of ``need`` for a request's purposes), not withdrawn."""
    found = [c for c in resident.consents if c.purpose == purpose and c.withdrawn_at is None
             and (need is None or purpose not in NEED_PURPOSES or c.need_id == need.id)]
    return found[-1] if found else None


def record(resident: Resident, purpose: ConsentPurpose, *, actor: Optional[User], channel: ConsentChannel,
           need: Optional[Need] = None) -> ResidentConsent:
    """Record one consent (``actor`` None: the resident registering themself). ``resident.consent_record``."""
    if purpose in NEED_PURPOSES and need is None:
        raise ValueError("a request's consent belongs to a need")
    consent = ResidentConsent(resident=resident, purpose=purpose, need=need, channel=channel,
                              recorded_by_id=actor.id if actor is not None else None, given_at=timeutil.now())
    db.session.add(consent)
    if not batching(db.session):   # a batch is flushed by its writer
        db.session.flush()
    audit.record(actor, "resident.consent_record", resident, after={
        "purpose": purpose.value, "channel": channel.value, "need_id": audit.id_of(need) if need is not None else None})
    return consent


def record_at_registration(resident: Resident, *, actor: Optional[User], channel: ConsentChannel) -> ResidentConsent:
    return record(resident, ConsentPurpose.personal_data, actor=actor, channel=channel)


def check_for_need(resident: Resident, *, given: bool, data_consent: bool, photos: bool,
                   photo_consent: bool) -> None:
    """Refused (on the field of the missing consent) unless a new need may be filed: consent to sharing it
    is given now, consent to keeping the resident's data is on file or given again now, and photos come
    with their consent."""
    if data_consent_missing(resident) and not data_consent:
        raise Refused(NO_DATA_CONSENT, field="data_consent")
    if not given:
        raise Refused(NO_SHARING_CONSENT, field="consent")
    if photos and not photo_consent:
        raise Refused(NO_PHOTO_CONSENT, field="photo_consent")


def data_consent_missing(resident: Optional[Resident]) -> bool:
    """Whether ``resident`` withdrew (or never gave) consent to keeping their data: a new need asks it again."""
    return resident is not None and current(resident, ConsentPurpose.personal_data) is None


def record_for_need(need: Need, *, actor: User, photos: bool) -> list[ResidentConsent]:
    """The consents given when ``need`` was filed (checked first by ``check_for_need``): personal data
    again if it had been withdrawn, sharing the request, and its photos if it has any."""
    channel = channel_of_need(need.channel)
    resident = need.resident
    given = []
    if current(resident, ConsentPurpose.personal_data) is None:
        given.append(record(resident, ConsentPurpose.personal_data, actor=actor, channel=channel))
    given.append(record(resident, ConsentPurpose.sharing, actor=actor, channel=channel, need=need))
    if photos:
        given.append(record(resident, ConsentPurpose.photos, actor=actor, channel=channel, need=need))
    return given


def history(resident: Resident, *, reader: User) -> list[ResidentConsent]:
    """Every consent of ``resident``, newest first; Refused outside the reader's reach."""
    if not can_see_consents(reader, resident):
        raise Refused(_l("You may not see this resident's consents."))
    return sorted(resident.consents, key=lambda c: (c.given_at, c.id), reverse=True)


def withdraw(consent: ResidentConsent, *, actor: User, channel: Optional[ConsentChannel] = None) -> None:
    """Withdraw ``consent``: by the resident on their pages, or by staff told in person or by phone
    (``channel``). ``resident.consent_withdraw``; what follows is in this module's docstring."""
    from linkage.models import NeedStatus
    from linkage.needs import services as need_services

    resident = consent.resident
    if not can_withdraw_consent(actor, resident):
        raise Refused(_l("You may not withdraw this resident's consents."))
    if consent.withdrawn_at is not None:
        raise Refused(_l("This consent was already withdrawn."))
    if actor.role == Role.resident:
        channel = ConsentChannel.resident_self
    elif channel not in STAFF_WITHDRAWAL_CHANNELS:
        raise Refused(_l("Say how the resident told you: in person or by phone."), field="channel")
    consent.withdrawn_at, consent.withdrawn_by_id, consent.withdrawal_channel = timeutil.now(), actor.id, channel
    db.session.flush()
    audit.record(actor, "resident.consent_withdraw", resident, after={
        "purpose": consent.purpose.value, "channel": channel.value, "need_id": consent.need_id})
    need = consent.need if consent.need_id else None
    if consent.purpose == ConsentPurpose.sharing and need is not None and need.status in (
            NeedStatus.submitted, NeedStatus.open):
        need_services.withdraw_need(need, actor=actor, reason=str(_l("Consent to share the request withdrawn.")))


def photos_shown_to(user: User, need: Need) -> bool:
    """Photos of a request are shown while their consent stands; to the resident themself always."""
    if need.resident.user_id is not None and need.resident.user_id == user.id:
        return True
    return current(need.resident, ConsentPurpose.photos, need) is not None
