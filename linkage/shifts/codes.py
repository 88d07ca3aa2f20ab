"""Shift codes: the QR code a shift's lead shows at the site, which volunteers with a place open on their
phone to check themselves in or out.

A code is a URL holding a token signed with the app's secret key (itsdangerous): the shift, what it is
for (``in`` or ``out``) and a random id, stamped with the moment it was made. It is good for
CHECK_IN_CODE_MINUTES (a locality setting); the lead's page shows a fresh one well within that time.

What "used" means for a code everyone on a shift shares: a code is not spent by the first person who
scans it (the whole shift scans the same picture). It is spent *per volunteer and purpose*: the first
check-in with a code records the code's id on that volunteer's place, and the same code presented again
by them (a reload, the back button, a second scan, a photo of it) is refused as already used. A check-in
code never checks anyone out, nor a check-out code in, and a volunteer checked in (by code or by the
lead) is never checked in again, whatever the code. A code photographed and sent to someone who is not
there works only for a volunteer who holds a place on that very shift, and only until it expires.

Reading a code writes nothing: :func:`read` says what the token holds or raises ``Refused`` with words
for the volunteer; the check-in and check-out themselves are :func:`linkage.shifts.places.check_in` and
``check_out``, given the code's id.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from linkage import settings, timeutil
from linkage.errors import Refused

PURPOSES = ("in", "out")
SALT = "linkage.shift-code"


class ClockSigner(TimestampSigner):
    """Stamps and checks the age of tokens with the platform's clock (``timeutil.now``), which tests set."""

    def get_timestamp(self) -> int:
        return int(timeutil.now().timestamp())


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT, signer=ClockSigner)


def lifetime_seconds() -> int:
    return int(settings.get("CHECK_IN_CODE_MINUTES")) * 60


@dataclass(frozen=True)
class Code:
    shift_id: int
    purpose: str      # "in" or "out"
    id: str           # random, recorded on the place it checked in or out


def make(shift_id: int, purpose: str) -> str:
    """A fresh token for ``shift_id`` and ``purpose`` ("in" or "out")."""
    if purpose not in PURPOSES:
        raise ValueError(purpose)
    return _serializer().dumps({"s": shift_id, "p": purpose, "n": secrets.token_hex(8)})


class CodeRefused(Refused):
    """A token that cannot be used, with the words for the volunteer and a status for the page."""

    def __init__(self, message, status: int = 400):
        super().__init__(message)
        self.status = status


def read(token: str, shift_id: int) -> Code:
    """What ``token`` says, if it is genuine, current and for ``shift_id``; else ``CodeRefused``."""
    try:
        data = _serializer().loads(token, max_age=lifetime_seconds())
    except SignatureExpired:
        minutes = int(settings.get("CHECK_IN_CODE_MINUTES"))
        raise CodeRefused(_("This code has expired: codes are good for %(minutes)s minutes. Scan the code "
                            "the lead shows now.", minutes=minutes)) from None
    except BadSignature:
        raise CodeRefused(_("This is not a valid check-in code of this platform: it was changed or made up. "
                            "Scan the code the lead shows.")) from None
    if (not isinstance(data, dict) or data.get("p") not in PURPOSES or not isinstance(data.get("s"), int)
            or not isinstance(data.get("n"), str)):
        raise CodeRefused(_("This is not a valid check-in code of this platform: it was changed or made up. "
                            "Scan the code the lead shows."))
    if data["s"] != shift_id:
        raise CodeRefused(_("This code belongs to another shift. Scan the code of the shift you are at."))
    return Code(shift_id=data["s"], purpose=data["p"], id=data["n"])
