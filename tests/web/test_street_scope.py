"""A place's street, decided in one place (``Region.street_area``): the shifts a volunteer browses, the
volunteers a match run may offer a shift to, and the people a joint meeting draws on all read it."""
import sqlalchemy as sa

from linkage.extensions import db
from linkage.matching import problems
from linkage.meetings import queries as meeting_queries
from linkage.models import Role, Shift
from linkage.shifts.access import visible_shifts, volunteer_street
from linkage.timeutil import now
from tests.factories import make_shift, make_user, make_volunteer


def test_the_street_of_each_level(world):
    assert world.grid1.street_area() == world.street1
    assert world.c1.street_area() == world.street1 and world.c3.street_area() == world.street2
    assert world.street2.street_area() == world.street2
    assert world.district.street_area() == world.district     # no street holds a district


def test_shifts_matching_and_meetings_read_the_same_street(world):
    user = make_user("gridvol", Role.volunteer, world.grid1)
    volunteer = make_volunteer(world.grid1, user, name="Grid Volunteer")
    near = make_shift(world.c2, title="Pine shift")
    far = make_shift(world.c3, title="River shift")
    db.session.commit()
    street = world.grid1.street_area()
    assert volunteer_street(volunteer) == street == problems._volunteer_region(world.grid1)
    listed = set(db.session.scalars(sa.select(Shift.id).where(visible_shifts(user, volunteer, now=now()))))
    assert near.id in listed and far.id not in listed
    assert user.id in {u.id for u in meeting_queries.participant_choices(world.c2)}
    assert user.id not in {u.id for u in meeting_queries.participant_choices(world.c3)}
