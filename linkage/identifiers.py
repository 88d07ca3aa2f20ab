"""Check digits of Chinese identifiers: unified social credit codes and resident ID numbers."""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Optional

from flask_babel import lazy_gettext as _l

CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
DIGITS = "0123456789"  # str.isdigit() would also accept other scripts' digits


def credit_code_check_char(first17: str) -> str:
    total = sum(CREDIT_CODE_ALPHABET.index(ch) * w for ch, w in zip(first17, CREDIT_CODE_WEIGHTS))
    value = 31 - total % 31
    return CREDIT_CODE_ALPHABET[0 if value == 31 else value]


def credit_code_problem(code: str) -> Optional[str]:
    """Why ``code`` is not a valid unified social credit code (GB 32100-2015), or None."""
    code = (code or "").strip().upper()
    if len(code) != 18:
        return "length"
    if any(ch not in CREDIT_CODE_ALPHABET for ch in code):
        return "characters"
    if credit_code_check_char(code[:17]) != code[17]:
        return "check"
    return None


@dataclass(frozen=True)
class ResidentIdInfo:
    birth_date: date
    gender: str  # "M" or "F"


def resident_id_check_char(first17: str) -> str:
    return ID_CHECK[sum(int(ch) * w for ch, w in zip(first17, ID_WEIGHTS)) % 11]


def resident_id_facts(number: str) -> Optional[ResidentIdInfo]:
    """Birth date (characters 7 to 14) and gender (the 17th character: odd for men) of an ID number,
    or None when its birth part is not a date. Checks nothing else: see ``parse_resident_id``."""
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
        return ResidentIdInfo(birth_date=born, gender="M" if int(number[16]) % 2 else "F")
    except (ValueError, IndexError):
        return None


def parse_resident_id(number: str) -> tuple[Optional[ResidentIdInfo], Optional[str]]:
    """Check a resident ID number (GB 11643-1999); return (info, None) or (None, problem)."""
    number = (number or "").strip().upper()
    if len(number) != 18:
        return None, "length"
    if any(ch not in DIGITS for ch in number[:17]) or number[17] not in DIGITS + "X":
        return None, "characters"
    info = resident_id_facts(number)
    if info is None or info.birth_date.year < 1900 or info.birth_date > date.today():
        return None, "birth_date"
    if resident_id_check_char(number[:17]) != number[17]:
        return None, "check"
    return info, None


def compose_resident_id(area: str, born: date, sequence: int) -> str:
    """A well-formed ID number: six-digit area code, birth date, three-digit sequence (odd for men) and the
    check character. For demonstration data and tests; real numbers are typed by their holders."""
    first17 = f"{area}{born:%Y%m%d}{sequence % 1000:03d}"
    return first17 + resident_id_check_char(first17)


# Why an ID number is refused, one message per problem found by ``parse_resident_id``.
ID_NUMBER_PROBLEMS = {
    "length": _l("A resident ID number has exactly 18 characters."),
    "characters": _l("A resident ID number is 17 digits followed by a digit or the letter X."),
    "birth_date": _l("The birth date in this ID number (characters 7 to 14) is not a possible date."),
    "check": _l("The last character does not match the others: check the number for a typing mistake."),
}


def normalize_id_number(text: Optional[str]) -> str:
    """Full-width digits and X (as Chinese input methods type them) as ASCII, upper case, without spaces."""
    return unicodedata.normalize("NFKC", text or "").replace(" ", "").upper()


def check_id_number(number: str):
    """``(info, None)`` or ``(None, problem)`` for a normalized ID number; only ASCII digits count."""
    if not number.isascii():
        return None, "characters"
    return parse_resident_id(number)


def read_id_number(text: Optional[str]) -> tuple[str, Optional[ResidentIdInfo], Optional[object]]:
    """The one rule for a typed resident ID number: ``(number, info, None)`` for a valid one, ``(number, None,
    message)`` saying why it is not; ``number`` is the text normalized (full-width to ASCII, upper case, no
    spaces), empty when nothing was typed (and then the message is the length's)."""
    number = normalize_id_number(text)
    info, problem = check_id_number(number)
    return number, info, ID_NUMBER_PROBLEMS[problem] if problem else None


def id_number_problem(text: Optional[str]):
    """The message saying why ``text`` is not a valid resident ID number, or None."""
    return read_id_number(text)[2]

