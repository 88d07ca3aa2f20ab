"""Pages offer an action only when the rules in ``<area>/access.py`` allow it: one test per flag."""
from datetime import timedelta

import re

import pytest

from linkage.extensions import db
from linkage.models import (BidStatus, HoursStatus, NeedStatus, OrgStatus, ProjectStatus, ShiftStatus,
                            SignUpStatus)
from tests.factories import make_bid, make_need, make_project, make_shift, make_volunteer
from tests.web.test_shifts_support import add_sign_up, now, project_shift, text

SIGN_UP = "/sign-up\""
WITHDRAW = "/withdraw\""


@pytest.fixture
def app_config():
    return {"BABEL_DEFAULT_LOCALE": "en"}


def login(client, auth, username):
    auth.logout()
    auth.login(username)


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return text(response)


# --- shifts -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("case, offered", [("open", True), ("cancelled", False), ("started", False),
                                           ("signed_up", False), ("withdrew", True)])
def test_a_volunteer_sees_the_sign_up_button_only_where_signing_up_is_possible(client, auth, world, case, offered):
    start = now() - timedelta(minutes=10) if case == "started" else None
    shift = project_shift(world, start=start)
    if case == "cancelled":  # they can still open it: they had withdrawn from it before
        shift.status = ShiftStatus.cancelled
    if case in ("signed_up", "withdrew", "cancelled"):
        add_sign_up(shift, world.volunteer,
                    status=SignUpStatus.assigned if case == "signed_up" else SignUpStatus.cancelled)
    db.session.commit()
    auth.login("vol")
    html = page(client, f"/shifts/{shift.id}")
    assert (f"/shifts/{shift.id}{SIGN_UP}" in html) is offered


def test_staff_never_see_the_sign_up_button(client, auth, world):
    shift = project_shift(world)
    db.session.commit()
    auth.login("staff1")
    assert SIGN_UP not in page(client, f"/shifts/{shift.id}")


@pytest.mark.parametrize("status, started, offered", [
    (SignUpStatus.assigned, False, True), (SignUpStatus.waitlisted, False, True),
    (SignUpStatus.requested, False, True), (SignUpStatus.cancelled, False, False),
    (SignUpStatus.assigned, True, False), (SignUpStatus.checked_in, True, False)])
def test_the_withdraw_button_shows_only_on_a_live_sign_up_before_the_start(client, auth, world, status, started,
                                                                           offered):
    shift = project_shift(world, start=now() - timedelta(minutes=10) if started else None)
    add_sign_up(shift, world.volunteer, status=status,
                slot=shift.slots[0] if status in (SignUpStatus.assigned, SignUpStatus.checked_in) else None)
    db.session.commit()
    auth.login("vol")
    assert (WITHDRAW in page(client, f"/shifts/{shift.id}")) is offered
    assert (WITHDRAW in page(client, "/volunteers/shifts")) is offered


@pytest.mark.parametrize("status, started, edit, cancel", [
    (ShiftStatus.open, False, True, True), (ShiftStatus.staffed, False, True, True),
    (ShiftStatus.open, True, False, True), (ShiftStatus.cancelled, False, False, False),
    (ShiftStatus.done, True, False, False)])
def test_edit_and_cancel_buttons_follow_the_shift_status(client, auth, world, status, started, edit, cancel):
    shift = project_shift(world, start=now() - timedelta(minutes=10) if started else None)
    shift.status = status
    db.session.commit()
    auth.login("worker")
    html = page(client, f"/shifts/{shift.id}")
    assert (f"/shifts/{shift.id}/edit\"" in html) is edit
    assert (f"/shifts/{shift.id}/cancel\"" in html) is cancel


def test_a_volunteer_sees_no_edit_or_cancel_button(client, auth, world):
    shift = project_shift(world)
    db.session.commit()
    auth.login("vol")
    html = page(client, f"/shifts/{shift.id}")
    assert "/edit\"" not in html and "/cancel\"" not in html


@pytest.mark.parametrize("status, started, actions", [
    (SignUpStatus.assigned, False, {"check-in"}),
    (SignUpStatus.assigned, True, {"check-in", "no-show"}),
    (SignUpStatus.checked_in, True, {"check-out"}),
    (SignUpStatus.waitlisted, True, set()),
    (SignUpStatus.no_show, True, set())])
def test_roster_rows_offer_check_in_out_and_no_show_by_status(client, auth, world, status, started, actions):
    start = (now() - timedelta(minutes=30)) if started else (now() + timedelta(minutes=30))
    shift = project_shift(world, start=start)
    record = add_sign_up(shift, world.volunteer, status=status,
                         slot=shift.slots[0] if status in (SignUpStatus.assigned, SignUpStatus.checked_in) else None)
    db.session.commit()
    auth.login("worker")
    html = page(client, f"/shifts/{shift.id}/roster")
    shown = {verb for verb in ("check-in", "check-out", "no-show") if f"/roster/{record.id}/{verb}\"" in html}
    assert shown == actions
    assert (f"/shifts/{shift.id}/close\"" in html) is started


def test_a_closed_shift_offers_no_roster_actions_but_pending_hours_can_be_decided(client, auth, world):
    shift = project_shift(world, start=now() - timedelta(hours=3), hours=1)
    shift.status = ShiftStatus.done
    decided = add_sign_up(shift, world.volunteer, status=SignUpStatus.checked_out, minutes=60,
                          hours_status=HoursStatus.approved)
    db.session.commit()
    auth.login("worker")
    html = page(client, f"/shifts/{shift.id}/roster")
    assert "/check-in\"" not in html and "/close\"" not in html
    assert f'name="sign_ups" value="{decided.id}"' not in html
    # Approved hours are locked (changed only by a correction); another volunteer's are still pending.
    pending = add_sign_up(shift, make_volunteer(world.c1, name="Second Volunteer"), status=SignUpStatus.checked_out,
                          minutes=60, hours_status=HoursStatus.pending)
    db.session.commit()
    assert f'name="sign_ups" value="{pending.id}"' in page(client, f"/shifts/{shift.id}/roster")


def test_only_admins_may_add_a_community_activity_from_the_project_chooser(client, auth, world):
    auth.login("worker")
    assert "activity=1" not in page(client, "/shifts/new")
    login(client, auth, "admin")
    assert "activity=1" in page(client, "/shifts/new")


# --- needs ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("status, offered", [
    (NeedStatus.submitted, {"verify", "reject"}), (NeedStatus.open, {"reject"}),
    (NeedStatus.matched, set()), (NeedStatus.delivered, {"rate"}), (NeedStatus.closed, set()),
    (NeedStatus.rejected, set())])
def test_the_community_need_page_offers_the_decisions_the_status_allows(client, auth, world, status, offered):
    need = make_need(world.resident, world.visits, status=status)
    db.session.commit()
    auth.login("staff1")
    html = page(client, f"/community/needs/{need.id}")
    assert {verb for verb in ("verify", "reject", "deliver", "rate") if f"/needs/{need.id}/{verb}\"" in html} == offered


def test_staff_who_only_read_needs_get_no_decisions_and_no_link_to_the_resident(client, auth, world):
    need = make_need(world.resident, world.visits, status=NeedStatus.submitted)
    db.session.commit()
    auth.login("civil")
    html = page(client, f"/community/needs/{need.id}")
    assert f"/needs/{need.id}/verify\"" not in html
    assert f"/community/residents/{world.resident.id}\"" not in html
    login(client, auth, "grid")
    assert f"/community/residents/{world.resident.id}\"" in page(client, f"/community/needs/{need.id}")


@pytest.mark.parametrize("status, withdraw, rate", [
    (NeedStatus.submitted, True, False), (NeedStatus.open, True, False), (NeedStatus.in_service, False, False),
    (NeedStatus.delivered, False, True), (NeedStatus.closed, False, False)])
def test_a_resident_may_withdraw_a_need_not_yet_served_and_rate_a_delivered_one(client, auth, world, status,
                                                                                withdraw, rate):
    need = make_need(world.resident, world.visits, status=status)
    db.session.commit()
    auth.login("resident")
    html = page(client, f"/needs/{need.id}")
    assert (f"/needs/{need.id}/withdraw\"" in html) is withdraw
    assert (f"/needs/{need.id}/rate\"" in html) is rate


# --- projects, organizations, audit -----------------------------------------------------------------

@pytest.mark.parametrize("deadline_passed, bid_status, submit, withdraw", [
    (False, None, True, False), (False, BidStatus.submitted, True, True), (True, BidStatus.submitted, False, False)])
def test_bid_buttons_only_while_the_bidding_is_open(client, auth, world, deadline_passed, bid_status, submit, withdraw):
    deadline = now() + (timedelta(days=-1) if deadline_passed else timedelta(days=7))
    project = make_project(world.street1, creator=world["civil"], status=ProjectStatus.published, deadline=deadline)
    if bid_status is not None:
        make_bid(project, world.org1, status=bid_status)
    db.session.commit()
    auth.login("orgadmin")
    html = page(client, f"/projects/{project.id}")
    assert (f"/projects/{project.id}/bid\"" in html) is submit
    assert (f"/projects/{project.id}/bid/withdraw\"" in html) is withdraw
    login(client, auth, "worker")  # social workers read the project but never bid
    assert f"/projects/{project.id}/bid\"" not in page(client, f"/projects/{project.id}")


def test_only_civil_affairs_see_the_new_project_button(client, auth, world):
    auth.login("civil")
    assert "/projects/new\"" in page(client, "/projects/")
    login(client, auth, "orgadmin")
    assert "/projects/new\"" not in page(client, "/projects/")


@pytest.mark.parametrize("status, correct, logins", [
    (OrgStatus.registered, True, False), (OrgStatus.rejected, True, False), (OrgStatus.active, False, True),
    (OrgStatus.suspended, False, False)])
def test_my_organization_offers_corrections_before_verification_and_log_ins_after(client, auth, world, status,
                                                                                 correct, logins):
    world.org1.status = status
    db.session.commit()
    auth.login("orgadmin")
    html = page(client, "/organizations/mine")
    assert ("/organizations/mine/edit\"" in html) is correct
    assert bool(re.search(r'/organizations/workers/\d+/login"', html)) is logins  # Wang Fang has none yet


def test_only_site_admins_see_the_audit_chain_check(client, auth, world):
    auth.login("civil")
    assert "/admin/audit/verify\"" not in page(client, "/admin/audit")
    login(client, auth, "admin")
    assert "/admin/audit/verify\"" in page(client, "/admin/audit")



@pytest.mark.parametrize("status, offered", [(NeedStatus.open, {"reject", "deliver"}), (NeedStatus.matched, {"deliver"})])
def test_delivery_is_offered_once_a_shift_serves_the_need(client, auth, world, status, offered):
    need = make_need(world.resident, world.visits, status=status)
    shift = make_shift(world.c1)
    shift.needs = [need]
    db.session.commit()
    auth.login("staff1")
    html = page(client, f"/community/needs/{need.id}")
    assert {verb for verb in ("verify", "reject", "deliver", "rate") if f"/needs/{need.id}/{verb}\"" in html} == offered
    assert "Possible once a project or a shift serves this need." not in html
