"""One rule for who may hold a place, one service that writes places, one waiting-list order.

Sign-up, promotion, the match problem and match approval must agree: each test here checks that
the paths a volunteer's place can take answer the same.
"""
from __future__ import annotations

import ast
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_babel import format_datetime

from linkage import notifications
from linkage.extensions import db
from linkage.matching import problems
from linkage.models import MatchRun, MatchStatus, Notification, SignUp, SignUpStatus
from linkage.shifts import places, queries
from linkage.timeutil import LOCAL_TZ
from tests.factories import make_shift, set_born
from tests.web.test_matching_runs import app_config, held, next_monday, start_run, week  # noqa: F401 (fixtures)
from tests.web.test_shifts_support import sign_up_as, sign_up_of, text, volunteer

ROOT = Path(__file__).resolve().parents[2]
# The one module that writes sign-ups; the demo seed inserts its rows in bulk and is checked by
# tests/unit/test_seed.py (every seeded place passes the eligibility rule).
PLACES_MODULE = ROOT / "linkage" / "shifts" / "places.py"
SEED = ROOT / "linkage" / "seed"


def fifteen_on(day: date) -> date:
    return date(day.year - 15, day.month, day.day) - timedelta(days=10)


def test_a_minor_without_consent_is_refused_by_sign_up_by_the_run_and_by_approval(client, auth, world, week):
    minor = volunteer(world, name="Young Li", birth_date=fifteen_on(week["monday"]))
    db.session.commit()
    # Sign-up refuses her.
    response = sign_up_as(client, auth, minor, week["later"])
    assert "need a guardian's consent" in text(response).replace("&#39;", "'")
    assert sign_up_of(week["later"], minor) is None
    # The run is never offered her.
    auth.logout()
    auth.login("civil")
    run = start_run(client, world, week=week["monday"].isoformat())
    assert run.status == MatchStatus.proposed
    assert all(a["volunteer"] != f"v{minor.id}" for a in run.result["assignments"])
    forbidden = {tuple(pair) for pair in run.problem["forbids"]}
    assert {(f"v{minor.id}", s["id"]) for s in run.problem["shifts"]} <= forbidden
    # Someone the run placed loses the right to the place before approval: approval refuses, writing nothing.
    placed = run.result["assignments"][0]
    person = db.session.get(type(minor), int(placed["volunteer"][1:]))
    set_born(person, fifteen_on(week["monday"]))
    db.session.commit()
    response = client.post(f"/matching/{run.id}/approve", data={"note": ""}, follow_redirects=True)
    assert "guardian&#39;s consent" in text(response) or "guardian's consent" in text(response)
    assert db.session.get(MatchRun, run.id).status == MatchStatus.proposed
    assert db.session.scalar(sa.select(sa.func.count(SignUp.id)).where(SignUp.status == SignUpStatus.assigned)) == 0


def test_the_waiting_list_has_one_order_for_roster_positions_and_promotion(app, world):
    shift = make_shift(world.c1, slots=((None, 1),))
    holder, first, second = volunteer(world), volunteer(world), volunteer(world)
    with app.test_request_context():
        taken = places.sign_up(shift, holder, actor=holder.user)
        early = places.sign_up(shift, first, actor=first.user)
        places.sign_up(shift, second, actor=second.user)
        # The first in line leaves and asks again: now second is ahead, although her row is older.
        places.cancel_sign_up(early, actor=first.user)
        places.sign_up(shift, first, actor=first.user)
        db.session.commit()
        waiting = [s for s in queries.roster(shift) if s.status == SignUpStatus.waitlisted]
        assert [s.volunteer_id for s in waiting] == [second.id, first.id]
        assert queries.waitlist_positions(waiting) == {waiting[0].id: 1, waiting[1].id: 2}
        promoted = places.cancel_sign_up(taken, actor=holder.user)
        assert [s.volunteer_id for s in promoted] == [second.id]


def test_a_kept_place_that_breaks_a_rule_is_a_conflict_and_the_run_proposes_the_rest(client, auth, world, week):
    keeper = volunteer(world, name="Keeper Wu")
    db.session.add(SignUp(shift=week["later"], volunteer=keeper, status=SignUpStatus.assigned,
                          slot=week["later"].slots[0]))
    set_born(keeper, fifteen_on(week["monday"]))  # after she took the place
    db.session.commit()
    auth.login("civil")
    run = start_run(client, world, week=week["monday"].isoformat())
    assert run.status == MatchStatus.proposed
    conflicts = run.inputs["conflicts"]
    assert [(c["volunteer"], c["shift"], c["reason"]["code"]) for c in conflicts] == [
        (keeper.id, week["later"].id, "no_consent")]
    # Her place is still taken: the run offers one place fewer on that shift and does not move her.
    later = next(s for s in run.problem["shifts"] if s["id"] == f"s{week['later'].id}")
    assert later["slots"][0]["count"] == 1
    assert [f"v{keeper.id}", f"s{week['later'].id}"] not in run.problem["pins"]
    # Staff read it on the run page, in words.
    page = text(client.get(f"/matching/{run.id}"))
    conflict = page[page.index('id="held-conflicts"'):]
    assert "Keeper Wu" in conflict[:2000] and "Afternoon club" in conflict[:2000]
    assert "need a guardian&#39;s consent" in conflict[:2000]
    client.post(f"/matching/{run.id}/approve", data={"note": ""})
    assert db.session.get(MatchRun, run.id).status == MatchStatus.approved
    assert len(held(week["later"])) <= 2


def test_an_own_place_outside_availability_and_travel_never_fails_a_run(client, auth, world, week):
    """She signed up for 03:00 by herself: evidently free then. The run keeps her place and proposes."""
    night = make_shift(world.c1, start=datetime.combine(week["monday"] + timedelta(days=3), time(3), LOCAL_TZ),
                       hours=2, slots=((None, 2),), title="Night patrol")
    owl = volunteer(world, name="Night Owl")
    owl.max_travel_km = 0.0
    owl.latitude = (owl.latitude or world.c1.latitude) + 0.5  # about 55 km away
    db.session.add(SignUp(shift=night, volunteer=owl, status=SignUpStatus.assigned, slot=night.slots[0]))
    db.session.commit()
    auth.login("civil")
    run = start_run(client, world, week=week["monday"].isoformat())
    assert run.status == MatchStatus.proposed, run.result
    assert {"volunteer": f"v{owl.id}", "shift": f"s{night.id}"}.items() <= next(
        a for a in run.result["assignments"] if a["volunteer"] == f"v{owl.id}").items()
    assert run.inputs["conflicts"] == []
    page = text(client.get(f"/matching/{run.id}"))
    assert "their own sign-up (kept) (outside the times they gave as free; beyond their travel limit)" in page


def test_approval_tells_volunteers_the_local_time(app, client, auth, world, week):
    auth.login("civil")
    run = start_run(client, world, week=week["monday"].isoformat())
    client.post(f"/matching/{run.id}/approve", data={"note": ""})
    told = db.session.scalars(sa.select(Notification).where(Notification.kind == "shift_assigned")).all()
    assert told
    with app.test_request_context():
        texts = [notifications.render(n) for n in told]
        local = {s.title: format_datetime(s.start, "short") for s in (week["urgent"], week["later"])}
    assert all("+00:00" not in t and "T0" not in t for t in texts)
    assert any(local["Urgent visit"] in t and "Urgent visit" in t for t in texts)
    assert "9:00" in local["Urgent visit"]  # 09:00 in Shanghai, as the shift was planned


def _writes_sign_ups(tree: ast.AST) -> list[int]:
    """Lines that create a sign-up, update sign-ups in bulk, or set a sign-up's status."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "SignUp":
            lines.append(node.lineno)
        elif (isinstance(node, ast.Call) and getattr(node.func, "attr", None) in ("update", "insert", "delete")
              and node.args and getattr(node.args[0], "id", None) == "SignUp"):
            lines.append(node.lineno)
        elif isinstance(node, (ast.Assign, ast.AugAssign)):
            value = ast.unparse(node.value)
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if "SignUpStatus." in value and any(".status" in ast.unparse(t) for t in targets):
                lines.append(node.lineno)
    return lines


def test_only_the_places_service_writes_sign_ups():
    offenders = {}
    for path in sorted((ROOT / "linkage").rglob("*.py")):
        if path == PLACES_MODULE or SEED in path.parents:
            continue
        lines = _writes_sign_ups(ast.parse(path.read_text(encoding="utf-8")))
        if lines:
            offenders[str(path.relative_to(ROOT))] = lines
    assert offenders == {}
    assert _writes_sign_ups(ast.parse(PLACES_MODULE.read_text(encoding="utf-8")))  # the guard sees writes


@pytest.mark.parametrize("source", [
    "record.status = SignUpStatus.assigned",
    "db.session.add(SignUp(shift_id=1, volunteer_id=2))",
    "db.session.execute(sa.update(SignUp).values(status='assigned'))",
    "sign_up.status, sign_up.slot = SignUpStatus.waitlisted, None",
])
def test_the_guard_recognises_a_write(source):
    assert _writes_sign_ups(ast.parse(source)) == [1]


def test_problem_builder_offers_no_pair_the_rule_refuses(app, world, week):
    """A pair refused by the eligibility rule is forbidden in the problem, with nothing else forbidden."""
    monday = datetime.combine(week["monday"], time.min, LOCAL_TZ)
    problem, inputs = problems.build_shift_problem(world.street1, monday, monday + timedelta(days=7))
    assert problem["forbids"] == [] and inputs["conflicts"] == []
    set_born(world.volunteer, date.today() - timedelta(days=365 * 10))
    db.session.flush()
    with app.test_request_context():
        problem, _inputs = problems.build_shift_problem(world.street1, monday, monday + timedelta(days=7))
    assert {tuple(p) for p in problem["forbids"]} == {(f"v{world.volunteer.id}", s["id"]) for s in problem["shifts"]}
