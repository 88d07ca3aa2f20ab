"""After the award and around the deadline, through HTTP: a failed project published again, complaints in
the window after the award notice, the standstill before the contract, bids to be confirmed again when
the terms change, and a change close to the deadline moving it."""
from __future__ import annotations

from datetime import timedelta
from html import unescape

import sqlalchemy as sa

from linkage import settings
from linkage.extensions import db
from linkage.models import BidStatus, Complaint, ComplaintStatus, Need, NeedStatus, Project, ProjectStatus
from linkage.timeutil import to_local
from tests.factories import now
from tests.web.test_contracts import contract_form, contract_of
from tests.web.test_projects_support import (bid_form, bid_of, english, evaluated_project, events,  # noqa: F401
                                             notified, open_needs, past_deadline, project_form,
                                             published_project, text)


def page(response) -> str:
    return unescape(text(response))


def local(moment) -> str:
    return to_local(moment).strftime("%Y-%m-%dT%H:%M")


def _awarded(client, auth, world):
    """org1's bid (total 80) wins over org2's (79) through the award page."""
    project, (bid1, bid2) = evaluated_project(world)
    db.session.commit()
    auth.login("civil")
    assert client.post(f"/projects/{project.id}/award", data={"bid": bid1.id}).status_code == 302
    return db.session.get(Project, project.id), bid1, bid2


def _sign(client, auth, world, project, **options):
    """Civil affairs draw up the contract (once), the winning organization's admin signs it; the answer to
    the signing. Civil affairs are signed in again afterwards."""
    auth.as_(world["civil"])
    if contract_of(project) is None:
        assert client.post(f"/contracts/new/{project.id}", data=contract_form()).status_code == 302
    auth.as_(world["orgadmin"])
    response = client.post(f"/contracts/{contract_of(project).id}/sign", **options)
    auth.as_(world["civil"])
    return response


def _age_award(project, days):
    """Move the award notice ``days`` into the past."""
    project = db.session.get(Project, project.id)
    project.awarded_at -= timedelta(days=days)
    db.session.commit()


# --------------------------------------------------------------------------- a failed project


def test_a_failed_project_is_published_again(client, auth, world):
    needs = open_needs(world, 2)
    project = published_project(world, needs=needs, title="Nobody bid")
    past_deadline(project)
    db.session.commit()
    auth.login("civil")
    client.post(f"/projects/{project.id}/close")
    assert db.session.get(Project, project.id).status == ProjectStatus.failed
    assert "Publish again" in text(client.get(f"/projects/{project.id}"))

    response = client.post(f"/projects/{project.id}/republish")
    copy = db.session.scalar(sa.select(Project).where(Project.republished_from_id == project.id))
    assert response.status_code == 302 and response.location.endswith(f"/projects/{copy.id}/edit")
    assert copy.status == ProjectStatus.draft and copy.title == "Nobody bid"
    assert sorted(n.id for n in copy.needs) == sorted(n.id for n in needs)
    assert [(c.code, c.weight) for c in copy.criteria] == [("plan", 40), ("team", 30), ("record", 20), ("budget", 10)]
    assert "Published again as" in text(client.get(f"/projects/{project.id}"))
    response = client.post(f"/projects/{project.id}/republish", follow_redirects=True)
    assert 'already published again as "Nobody bid"' in page(response)

    # Staff set a new deadline and publish it.
    response = client.post(f"/projects/{copy.id}/edit", data=project_form(world, needs, title="Nobody bid"))
    assert response.status_code == 302
    assert client.post(f"/projects/{copy.id}/publish").status_code == 302
    assert db.session.get(Project, copy.id).status == ProjectStatus.published
    assert events("project.republish", copy)


def test_only_a_failed_project_is_published_again(client, auth, world):
    project = published_project(world)
    db.session.commit()
    auth.login("civil")
    response = client.post(f"/projects/{project.id}/republish", follow_redirects=True)
    assert "Only a failed project can be published again." in text(response)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Project)) == 1


# --------------------------------------------------------------------------- complaints and the standstill


def test_a_complaint_in_the_window_delays_the_contract(client, auth, world):
    project, bid1, bid2 = _awarded(client, auth, world)
    auth.as_(world["orgadmin2"])  # the losing bidder
    assert "Complaints" in text(client.get(f"/projects/{project.id}"))
    response = client.post(f"/projects/{project.id}/complaints", data={"text": "The winner's team lacks seniors."})
    assert response.status_code == 302
    complaint = db.session.scalar(sa.select(Complaint))
    assert complaint.status == ComplaintStatus.open and complaint.organization_id == world.org2.id
    assert notified(world["civil"], "complaint_filed")
    response = client.post(f"/projects/{project.id}/complaints", data={"text": "Again"})
    assert "already has a complaint under review" in text(response)

    # The standstill is over, but the open complaint still holds the contract back.
    _age_award(project, settings.get("STANDSTILL_DAYS"))
    auth.as_(world["civil"])
    response = _sign(client, auth, world, project, follow_redirects=True)
    assert ("A complaint by Harmony Community Services is under review; answer it before the contract is "
            "signed.") in text(response)
    assert db.session.get(Project, project.id).status == ProjectStatus.awarded

    # Civil affairs dismiss it with a written answer; the record stays; the contract can be signed.
    response = client.post(f"/projects/{project.id}/complaints/{complaint.id}/answer",
                           data={f"a{complaint.id}-decision": "dismissed", f"a{complaint.id}-answer": ""})
    assert "Write the answer; the organization reads it." in text(response)
    assert client.post(f"/projects/{project.id}/complaints/{complaint.id}/answer", data={
        f"a{complaint.id}-decision": "dismissed",
        f"a{complaint.id}-answer": "Two senior social workers are on the team."}).status_code == 302
    complaint = db.session.get(Complaint, complaint.id)
    assert complaint.status == ComplaintStatus.dismissed and complaint.answered_by_id == world["civil"].id
    assert notified(world["orgadmin2"], "complaint_dismissed")
    assert events("complaint.file", complaint) and events("complaint.answer", complaint)
    assert _sign(client, auth, world, project).status_code == 302
    assert db.session.get(Project, project.id).status == ProjectStatus.contracted
    auth.as_(world["orgadmin2"])
    assert "Two senior social workers are on the team." in text(client.get(f"/projects/{project.id}/complaints"))


def test_the_contract_waits_for_the_standstill(client, auth, world):
    project, bid1, bid2 = _awarded(client, auth, world)
    _age_award(project, settings.get("STANDSTILL_DAYS") - 1)
    response = _sign(client, auth, world, project, follow_redirects=True)
    assert "The standstill after the award notice lasts until" in text(response)
    assert db.session.get(Project, project.id).status == ProjectStatus.awarded
    _age_award(project, 1)
    assert _sign(client, auth, world, project).status_code == 302
    assert db.session.get(Project, project.id).status == ProjectStatus.contracted


def test_a_complaint_after_the_window_is_refused(client, auth, world):
    project, bid1, bid2 = _awarded(client, auth, world)
    _age_award(project, settings.get("COMPLAINT_WINDOW_DAYS"))
    auth.as_(world["orgadmin2"])
    assert "The complaint window is closed." in text(client.get(f"/projects/{project.id}/complaints"))
    response = client.post(f"/projects/{project.id}/complaints", data={"text": "Too late?"})
    assert "The complaint window closed at" in text(response)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Complaint)) == 0


def test_only_bidders_complain(client, auth, world):
    project, bid1, bid2 = _awarded(client, auth, world)
    for username in ("orgadmin", "orgadmin2"):
        auth.as_(world[username])
        assert client.get(f"/projects/{project.id}/complaints").status_code == 200
    for username in ("worker2", "expert", "observer", "vol", "civil2"):
        auth.as_(world[username])
        assert client.post(f"/projects/{project.id}/complaints", data={"text": "x"}).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Complaint)) == 0


def test_an_upheld_complaint_sets_the_award_aside(client, auth, world):
    project, bid1, bid2 = _awarded(client, auth, world)
    auth.as_(world["orgadmin2"])
    client.post(f"/projects/{project.id}/complaints", data={"text": "The price score is wrong."})
    complaint = db.session.scalar(sa.select(Complaint))
    auth.as_(world["civil"])
    assert client.post(f"/projects/{project.id}/complaints/{complaint.id}/answer", data={
        f"a{complaint.id}-decision": "upheld", f"a{complaint.id}-answer": "Recounted: evaluate again."}
    ).status_code == 302
    project = db.session.get(Project, project.id)
    assert project.status == ProjectStatus.evaluated and project.awarded_at is None
    assert {b.status for b in project.bids} == {BidStatus.scored}
    assert {n.status for n in db.session.scalars(sa.select(Need).where(Need.project_id == project.id))} == \
        {NeedStatus.open}
    assert notified(world["orgadmin2"], "complaint_upheld")
    assert client.post(f"/projects/{project.id}/award", data={"bid": bid2.id, "note": "After the complaint"}
                       ).status_code == 302


# --------------------------------------------------------------------------- changes to the terms


def test_changed_terms_send_bids_back_for_confirmation(client, auth, world):
    needs = open_needs(world, 1)
    project = published_project(world, needs=needs)
    project.bidding_deadline = project.bidding_deadline.replace(second=0, microsecond=0)
    db.session.commit()
    auth.login("civil")  # the terms as the form states them, before any bid
    form = project_form(world, needs, title=project.title, bidding_deadline=local(project.bidding_deadline))
    assert client.post(f"/projects/{project.id}/edit", data=form).status_code == 302
    auth.as_(world["orgadmin"])
    assert client.post(f"/projects/{project.id}/bid", data=bid_form(world)).status_code == 302
    assert bid_of(project, world.org1).status == BidStatus.submitted

    # Only the deadline moved later: the bid stands.
    auth.as_(world["civil"])
    later = project.bidding_deadline + timedelta(days=1)
    form = project_form(world, needs, title=project.title, bidding_deadline=local(later))
    assert client.post(f"/projects/{project.id}/edit", data=form).status_code == 302
    assert bid_of(project, world.org1).status == BidStatus.submitted
    # An earlier deadline is refused.
    form = project_form(world, needs, title=project.title, bidding_deadline=local(later - timedelta(days=2)))
    assert "the deadline can only move later" in text(client.post(f"/projects/{project.id}/edit", data=form))

    # The budget changes: the bid goes back to the organization.
    form = project_form(world, needs, title=project.title, budget="280000", bidding_deadline=local(later))
    response = client.post(f"/projects/{project.id}/edit", data=form, follow_redirects=True)
    assert "must be confirmed again" in text(response)
    bid = bid_of(project, world.org1)
    assert bid.status == BidStatus.draft
    assert notified(world["orgadmin"], "bid_reconfirm")
    assert events("bid.needs_reconfirmation", bid)
    auth.as_(world["orgadmin"])
    page_text = text(client.get(f"/projects/{project.id}"))
    assert "Confirm our bid again" in page_text and "terms changed after this bid came in" in page_text

    # Unconfirmed, it does not count at the close; confirmed again, it does.
    assert client.post(f"/projects/{project.id}/bid", data=bid_form(world, price="270000")).status_code == 302
    assert bid_of(project, world.org1).status == BidStatus.submitted


def test_an_unconfirmed_bid_does_not_count(client, auth, world):
    needs = open_needs(world, 1)
    project = published_project(world, needs=needs)
    db.session.commit()
    auth.login("orgadmin")
    client.post(f"/projects/{project.id}/bid", data=bid_form(world))
    auth.as_(world["civil"])
    later = local(project.bidding_deadline + timedelta(hours=1))
    form = project_form(world, needs, title=project.title, min_years="1", bidding_deadline=later)
    client.post(f"/projects/{project.id}/edit", data=form)
    assert bid_of(project, world.org1).status == BidStatus.draft
    past_deadline(db.session.get(Project, project.id))
    db.session.commit()
    client.post(f"/projects/{project.id}/close")
    assert db.session.get(Project, project.id).status == ProjectStatus.failed


def test_a_change_near_the_deadline_extends_it(client, auth, world):
    needs = open_needs(world, 1)
    project = published_project(world, needs=needs)
    soon = (now() + timedelta(hours=5)).replace(second=0, microsecond=0)
    project.bidding_deadline = soon
    db.session.commit()
    auth.login("civil")
    form = project_form(world, needs, title=project.title, target_hours="900", bidding_deadline=local(soon))
    assert client.post(f"/projects/{project.id}/edit", data=form).status_code == 302
    changed_at = now()
    project = db.session.get(Project, project.id)
    hours = settings.get("AMENDMENT_MIN_HOURS")
    assert project.target_hours == 900
    assert abs(project.bidding_deadline - (changed_at + timedelta(hours=hours))) < timedelta(minutes=1)
    event = events("project.deadline_extend", project)[0]
    assert event.after["bidding_deadline"] > event.before["bidding_deadline"]


def test_a_change_far_from_the_deadline_keeps_it(client, auth, world):
    needs = open_needs(world, 1)
    project = published_project(world, needs=needs)
    deadline = project.bidding_deadline.replace(second=0, microsecond=0)
    project.bidding_deadline = deadline
    db.session.commit()
    auth.login("civil")
    form = project_form(world, needs, title=project.title, target_hours="900", bidding_deadline=local(deadline))
    assert client.post(f"/projects/{project.id}/edit", data=form).status_code == 302
    assert db.session.get(Project, project.id).bidding_deadline == deadline
    assert not events("project.deadline_extend")
