"""What the public page may list and the district's figures: drafts never, a cancelled project only if it
had been published; figures are sums over public projects, signed contracts, payments and approved hours."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from linkage.extensions import db
from linkage.models import HoursStatus, ProjectStatus, ShiftStatus, SignUp, SignUpStatus
from linkage.public import queries
from tests.factories import make_project, make_shift, now


def test_drafts_and_never_published_cancellations_are_not_public(world):
    shown = make_project(world.street1, creator=world["civil"], budget=100000, title="Shown")
    make_project(world.street1, creator=world["civil"], status=ProjectStatus.draft, budget=50000, title="Draft")
    withdrawn = make_project(world.street1, creator=world["civil"], status=ProjectStatus.cancelled, budget=70000,
                             title="Cancelled after publication")
    withdrawn.published_at = now() - timedelta(days=3)
    make_project(world.street1, creator=world["civil"], status=ProjectStatus.cancelled, budget=9000,
                 title="Cancelled draft")
    db.session.flush()
    listed = {p.title for p in queries.projects_in(*ProjectStatus)}
    assert listed == {"Shown", "Cancelled after publication"}
    assert queries.public_project(shown.id) is shown and queries.is_public(withdrawn)
    figures = queries.district_figures()
    assert figures.budget == Decimal("170000.00")
    assert dict(figures.by_status) == {ProjectStatus.published: 1, ProjectStatus.cancelled: 1}


def test_volunteer_hours_count_only_approved_hours(world):
    for days, minutes, status in ((2, 90, HoursStatus.approved), (4, 120, HoursStatus.pending),
                                  (6, 60, HoursStatus.declined)):
        shift = make_shift(world.c1, lead=world.worker, start=now() - timedelta(days=days), hours=3)
        shift.status = ShiftStatus.done
        db.session.add(SignUp(shift=shift, volunteer=world.volunteer, slot=shift.slots[0],
                              status=SignUpStatus.checked_out, minutes=minutes, hours_status=status))
    db.session.flush()
    assert queries.district_figures().volunteer_hours == 1.5
    assert queries.district_figures().paid == 0 and queries.district_figures().paid_of_contracted == 0
