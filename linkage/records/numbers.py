"""Volunteer numbers: never the ID number.

Format (after the 2015 national volunteer information system specification, MZ/T 061-2015, as far as it
is public): the six-digit administrative division code (GB/T 2260) of the district the volunteer
registered in, an eight-digit sequence number within that district, and one check character computed
like the ID number's (ISO 7064 MOD 11-2, ``0``-``9`` or ``X``): 15 characters, e.g. ``310199000000016``.
An ID number has 18 characters, so the two can never be equal."""
from __future__ import annotations

from typing import Optional

import sqlalchemy as sa

from linkage.database import batch_state, batching
from linkage.extensions import db
from linkage.models import Region, Volunteer, VolunteerNumber

LENGTH = 15
_WEIGHTS = [pow(2, 14 - i, 11) for i in range(14)]  # 2^(n-1) mod 11, n counted from the check position
_CHECK = "10X98765432"


def check_character(body: str) -> str:
    """ISO 7064 MOD 11-2 check character of 14 digits."""
    total = sum(int(digit) * weight for digit, weight in zip(body, _WEIGHTS))
    return _CHECK[total % 11]


def is_valid(number: str) -> bool:
    """Well formed: 14 digits and the right check character."""
    number = (number or "").strip().upper()
    return (len(number) == LENGTH and number[:14].isdigit()
            and check_character(number[:14]) == number[14])


def compose(division: str, sequence: int) -> str:
    body = f"{division}{sequence:08d}"
    return body + check_character(body)


def division_of(region: Optional[Region]) -> str:
    """The six-digit division code of a region (its code's first six digits; 000000 if it has none)."""
    code = (region.code if region is not None else "") or ""
    return code[:6] if len(code) >= 6 and code[:6].isdigit() else "000000"


def number_of(volunteer: Volunteer) -> Optional[str]:
    return db.session.scalar(sa.select(VolunteerNumber.number).where(VolunteerNumber.volunteer_id == volunteer.id))


def assign(volunteer: Volunteer) -> str:
    """The volunteer's number, assigned now if they have none (registration, or first use for volunteers
    registered before numbers existed). Concurrent assignments in one district are serialized by a lock on
    the district's region row."""
    if volunteer.id is None and batching(db.session):
        return _assign_in_batch(volunteer)
    existing = number_of(volunteer)
    if existing:
        return existing
    if volunteer.id is None:
        db.session.flush()
    region = db.session.get(Region, volunteer.region_id)
    division = division_of(region)
    last = _last_sequence(region, division)
    number = compose(division, last + 1)
    db.session.add(VolunteerNumber(volunteer_id=volunteer.id, number=number, division=division, sequence=last + 1))
    db.session.flush()
    return number


def _last_sequence(region: Optional[Region], division: str) -> int:
    """The district's last sequence number, its region row locked (PostgreSQL) to the end of the transaction."""
    anchor = region.district_area() if region is not None else None
    if anchor is not None:
        db.session.execute(sa.select(Region.id).where(Region.id == anchor.id).with_for_update())
    return db.session.scalar(sa.select(sa.func.max(VolunteerNumber.sequence))
                             .where(VolunteerNumber.division == division)) or 0


def _assign_in_batch(volunteer: Volunteer) -> str:
    """A new volunteer written in a batch (``database.batch``), not flushed yet: each district's last sequence
    is read once per batch and counted on; the number is flushed with the batch."""
    last = batch_state(db.session).setdefault("volunteer numbers", {})
    region = volunteer.region or db.session.get(Region, volunteer.region_id)
    division = division_of(region)
    if division not in last:
        last[division] = _last_sequence(region, division)
    last[division] += 1
    number = compose(division, last[division])
    db.session.add(VolunteerNumber(volunteer=volunteer, number=number, division=division, sequence=last[division]))
    return number


def assign_all(volunteers: list[Volunteer]) -> None:
    """``assign`` for many volunteers without a number, in the order given: each district's last sequence read
    once (its region row locked as ``assign`` locks it), then counted on, and all the numbers flushed at once."""
    db.session.flush()
    last: dict[str, int] = {}
    for volunteer in volunteers:
        region = db.session.get(Region, volunteer.region_id)
        division = division_of(region)
        if division not in last:
            last[division] = _last_sequence(region, division)
        last[division] += 1
        db.session.add(VolunteerNumber(volunteer_id=volunteer.id, number=compose(division, last[division]),
                                       division=division, sequence=last[division]))
    db.session.flush()


def find(number: str) -> Optional[Volunteer]:
    """The volunteer with this number (None for a malformed or unknown one)."""
    number = (number or "").strip().upper()
    if not is_valid(number):
        return None
    return db.session.scalar(sa.select(Volunteer).join(VolunteerNumber, VolunteerNumber.volunteer_id == Volunteer.id)
                             .where(VolunteerNumber.number == number))
