"""Volunteers with approved hours, for the record tests."""
from __future__ import annotations

from datetime import timedelta

from linkage.extensions import db
from linkage.models import HoursStatus, SignUp, SignUpStatus
from tests.factories import make_shift, now


def approved_entry(world, volunteer=None, *, minutes=120, title="Companionship visits", days_ago=3, decided_by=None):
    """A past shift of community 1 led by social worker A, with ``volunteer``'s approved ``minutes``."""
    volunteer = volunteer or world.volunteer
    start = (now() - timedelta(days=days_ago)).replace(minute=0, second=0, microsecond=0)
    shift = make_shift(volunteer.region, lead=world.worker, start=start, hours=max(2, -(-minutes // 60)), title=title)
    shift.created_by = world["worker"]
    record = SignUp(shift=shift, volunteer=volunteer, slot=shift.slots[0], status=SignUpStatus.checked_out,
                    checked_in_at=start, checked_out_at=start + timedelta(minutes=minutes), minutes=minutes,
                    hours_status=HoursStatus.approved, hours_decided_at=start + timedelta(hours=3),
                    hours_decided_by_id=(decided_by or world["worker"]).id)
    db.session.add(record)
    db.session.flush()
    return record


def volunteer_with_hours(world, n, *, minutes=150):
    """A new volunteer of community 1 (``probevol<n>``) with approved hours."""
    from linkage.models import Role
    from tests.factories import make_user, make_volunteer
    user = make_user(f"probevol{n}", Role.volunteer, world.c1)
    volunteer = make_volunteer(world.c1, user, name=f"Probe Volunteer {n}")
    approved_entry(world, volunteer, minutes=minutes)
    return volunteer


def certificate_past_notice(world, n):
    """A certificate of a new volunteer requested eight days ago: on notice, ready to be issued."""
    from linkage import timeutil
    from linkage.records import services
    volunteer = volunteer_with_hours(world, n)
    with timeutil.as_of(now() - timedelta(days=8)):
        return services.request_certificate(volunteer, actor=volunteer.user)


def issued_certificate(world, n):
    from linkage.records import services
    certificate = certificate_past_notice(world, n)
    services.issue_certificate(certificate, person_in_charge="王主任", contact="021-12345678", actor=world["staff1"])
    return certificate


# --- the hostile-field probe's pages ---------------------------------------------------------------------

def correction_page(world, n):
    record = approved_entry(world, minutes=120, title=f"Visit {n}")
    return "/records/corrections/new", {"sign_up": str(record.id), "minutes": "60", "reason": f"Left early {n}"}


def corrections_page(world, n):
    from linkage.records import services
    record = approved_entry(world, minutes=120, title=f"Visit {n}")
    correction = services.file_correction(record, minutes=90, reason=f"Left early {n}", actor=world["vol"])
    return "/records/corrections", {"correction": str(correction.id), "decision": "approve"}


def issue_page(world, n):
    certificate = certificate_past_notice(world, n)
    return {"url": "/records/volunteers", "action": f"/records/certificates/{certificate.id}/issue",
            "fill": {"person_in_charge": "王主任", "contact": "021-12345678"}}


def complaint_page(world, n):
    from linkage.records import numbers
    return {"url": f"/records/volunteers?number={numbers.assign(world.volunteer)}", "action": "/complaints",
            "fill": {"text": f"Came an hour late {n}"}}


def answer_page(world, n):
    from linkage.records import services
    complaint = services.record_complaint(world.volunteer, f"Came late {n}", actor=world["staff1"])
    return {"url": "/records/mine", "action": "/mine/answer",
            "fill": {"complaint": str(complaint.id), "answer": f"The bus was late {n}"}}


def verify_page(world, n):
    from linkage.records import services
    certificate = issued_certificate(world, n)
    return "/records/verify", {"number": certificate.number, "code": services.verification_code(certificate)}


def request_role(world, n):
    return volunteer_with_hours(world, n).user.username
