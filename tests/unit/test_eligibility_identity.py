"""The one rule of who may hold a place, on plain facts: age from the ID number, a guardian's consent on
file for minors, one-off days away."""
from datetime import date, datetime, time, timedelta

import pytest

from linkage.models import VolunteerStatus
from linkage.shifts.eligibility import Candidate, Opening, why_not
from linkage.timeutil import LOCAL_TZ

SHIFT_DAY = date(2031, 6, 11)   # a Wednesday
NOW = datetime(2031, 6, 1, 9, tzinfo=LOCAL_TZ)
OPENING = Opening(id=1, start=datetime.combine(SHIFT_DAY, time(14), LOCAL_TZ),
                  end=datetime.combine(SHIFT_DAY, time(17), LOCAL_TZ), skill_ids=(None,))


def candidate(born=date(1990, 1, 1), consent=False, away=()):
    return Candidate(id=7, verified=True, status=VolunteerStatus.active, birth_date=born, guardian_consent=consent,
                     skill_ids=frozenset(), weekly_minutes_limit=600, away=tuple(away))


def local(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), LOCAL_TZ)


@pytest.mark.parametrize("consent,expected", [(False, "no_consent"), (True, None)])
def test_a_minor_needs_a_guardians_consent_on_file(app, consent, expected):
    with app.app_context():
        reason = why_not(candidate(born=date(2015, 3, 1), consent=consent), OPENING, [], now=NOW)
    assert (reason.code if reason else None) == expected


def test_an_adult_needs_no_consent_and_a_child_under_the_minimum_age_is_refused(app):
    with app.app_context():
        assert why_not(candidate(born=date(1990, 1, 1)), OPENING, [], now=NOW) is None
        assert why_not(candidate(born=date(2019, 1, 1), consent=True), OPENING, [], now=NOW).code == "too_young"
        assert why_not(candidate(born=None), OPENING, [], now=NOW).code == "no_birth_date"


@pytest.mark.parametrize("away,refused", [
    ([(local(SHIFT_DAY, 0), local(SHIFT_DAY + timedelta(days=1), 0))], True),    # the whole day
    ([(local(SHIFT_DAY, 16), local(SHIFT_DAY, 18))], True),                       # part of the shift
    ([(local(SHIFT_DAY, 9), local(SHIFT_DAY, 14))], False),                       # ends as the shift begins
    ([(local(SHIFT_DAY + timedelta(days=1), 0), local(SHIFT_DAY + timedelta(days=2), 0))], False),
])
def test_a_volunteer_away_during_the_shift_is_refused_with_the_day(app, away, refused):
    with app.test_request_context():
        reason = why_not(candidate(away=away), OPENING, [], now=NOW)
        assert (reason is not None) == refused
        if refused:
            assert reason.code == "away" and reason.params == {"date": SHIFT_DAY.isoformat()}
            assert "You marked yourself away on" in reason.text()
