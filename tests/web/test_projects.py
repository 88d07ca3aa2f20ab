"""Projects: the scoped list, creation from open needs, editing drafts, publication, cancellation, the
detail page with its coverage and satisfaction."""
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from linkage.extensions import db
from linkage.models import (Feedback, HoursStatus, Need, NeedStatus, PanelMember, PanelStatus, Project, ProjectStatus,
                            SignUp, SignUpStatus, WorkerLevel)
from tests.factories import make_bid, make_need, make_project, make_resident, make_shift, now
from tests.web.test_projects_support import (ROLES, count, english, events, notified, open_needs,  # noqa: F401
                                             past_deadline, project_form, published_project, text)


@pytest.fixture
def app_config():
    return {"PER_PAGE": 3}


# --------------------------------------------------------------------------- the list


@pytest.fixture
def projects(world):
    """p1 published in street 1, p2 published in street 2, p3 published district-wide, a draft in street 1,
    and a cancelled street-2 project org1 had bid on."""
    p = {
        "p1": make_project(world.street1, title="Street one visits"),
        "p2": make_project(world.street2, title="Street two tutoring"),
        "p3": make_project(world.district, title="District hotline"),
        "draft": make_project(world.street1, status=ProjectStatus.draft, title="Unpublished plan"),
        "gone": make_project(world.street2, status=ProjectStatus.cancelled, title="Cancelled river project"),
    }
    p["p2"].categories = [world.tutoring]
    p["p1"].categories = [world.visits]
    make_bid(p["gone"], world.org1)
    # The expert sits on the panels of p1, p3 and the draft, and was taken off p2's.
    for key, status in (("p1", PanelStatus.assigned), ("p3", PanelStatus.joined), ("draft", PanelStatus.assigned),
                        ("p2", PanelStatus.removed)):
        db.session.add(PanelMember(project=p[key], expert=world["expert"], status=status))
    db.session.commit()
    return p


TITLES = {"p1": "Street one visits", "p2": "Street two tutoring", "p3": "District hotline",
          "draft": "Unpublished plan", "gone": "Cancelled river project"}


@pytest.mark.parametrize("username, visible", [
    ("civil", {"p1", "p2", "p3", "draft", "gone"}),
    ("admin", {"p1", "p2", "p3", "draft", "gone"}),
    ("civil2", {"p2", "gone"}),
    ("orgadmin", {"p1", "p3", "gone"}),      # overlapping published ones, plus the one it bid on
    ("worker", {"p1", "p3", "gone"}),
    ("orgadmin2", {"p2", "p3"}),
    ("expert", {"p1", "p3"}),                # the panels they sit on, no drafts
    ("observer", {"p1"}),                    # street 1 subtree, no drafts
])
def test_list_is_scoped_by_role(client, auth, world, projects, username, visible):
    auth.login(username)
    pages = text(client.get("/projects/")) + text(client.get("/projects/?page=2"))
    shown = {key for key, title in TITLES.items() if title in pages}
    assert shown == visible
    for key in visible:
        assert client.get(f"/projects/{projects[key].id}").status_code == 200
    for key in set(TITLES) - visible:
        assert client.get(f"/projects/{projects[key].id}").status_code == 403


@pytest.mark.parametrize("username", ["staff1", "staff3", "vol", "vol3", "resident", "grid"])
def test_list_refused_to_other_roles(client, auth, world, projects, username):
    auth.login(username)
    assert client.get("/projects/").status_code == 403
    assert client.get(f"/projects/{projects['p1'].id}").status_code == 403


def test_list_filters_by_status_and_category(client, auth, world, projects):
    auth.login("civil")
    page = text(client.get("/projects/?status=draft"))
    assert "Unpublished plan" in page and "Street one visits" not in page
    page = text(client.get(f"/projects/?category={world.tutoring.id}"))
    assert "Street two tutoring" in page and "Street one visits" not in page
    # A sector includes its categories.
    page = text(client.get(f"/projects/?category={world.care.id}"))
    assert "Street one visits" in page and "Street two tutoring" not in page
    assert "5 in all" in text(client.get("/projects/?status=bogus"))


def test_org_list_shows_own_bid_status(client, auth, world, projects):
    auth.login("orgadmin")
    assert "Submitted" in text(client.get("/projects/?status=cancelled"))


def test_unknown_project_is_404(client, auth, world):
    auth.login("civil")
    assert client.get("/projects/99999").status_code == 404


# --------------------------------------------------------------------------- creation from open needs


def test_civil_affairs_create_a_project_from_open_needs(client, auth, world):
    needs = open_needs(world, 3)
    other = make_need(world.resident, world.tutoring, title="After-school help")
    taken = make_need(world.resident, world.visits, title="Already bundled")
    make_project(world.street1, needs=[taken])
    unverified = make_need(world.resident, world.visits, status=NeedStatus.submitted, title="Not yet verified")
    db.session.commit()
    auth.login("civil")
    page = text(client.get("/projects/new"))
    assert "Companionship visit 0" in page and "After-school help" in page
    assert "Already bundled" not in page and "Not yet verified" not in page
    assert 'value="30"' in page  # DEFAULT_PRICE_WEIGHT
    filtered = text(client.get(f"/projects/new?category={world.tutoring.id}&community={world.c1.id}"))
    assert "After-school help" in filtered and "Companionship visit 0" not in filtered
    response = client.post("/projects/new", data=project_form(world, needs[:2]))
    assert response.status_code == 302
    project = db.session.scalar(sa.select(Project).where(Project.title == "Home visits 2027"))
    assert project.status == ProjectStatus.draft and project.created_by_id == world["civil"].id
    assert {n.id for n in project.needs} == {needs[0].id, needs[1].id}
    assert [c.id for c in project.categories] == [world.visits.id]  # from the needs
    assert project.budget == Decimal("300000.00") and project.price_weight == 0.3 and project.workload == 2
    assert project.required_worker_level == WorkerLevel.assistant and project.target_hours == 800
    event = events("project.create", project)[0]
    assert sorted(event.after["need_ids"]) == sorted([needs[0].id, needs[1].id])
    # Needs stay open until the award; they are no longer offered to other projects.
    assert db.session.get(Need, needs[0].id).status == NeedStatus.open
    assert "Companionship visit 0" not in text(client.get("/projects/new"))
    assert other and unverified


def start_in(days):
    return (date.today() + timedelta(days=days)).isoformat()


@pytest.mark.parametrize("overrides, message", [
    ({"needs": []}, "Choose at least one open need"),
    ({"title": ""}, "This field is required"),
    ({"budget": "0"}, "Enter a budget above zero"),
    ({"budget": "lots"}, "Not a valid decimal value"),
    ({"service_end": start_in(40)}, "must end after it starts"),
    ({"service_end": start_in(40 + 500)}, "A term over one year is only for stable, funded services"),
    ({"service_end": start_in(40 + 4 * 366), "multi_year": "y"}, "may not exceed three years"),
    ({"bidding_deadline": "2020-01-01T10:00"}, "The bidding deadline must be in the future"),
    ({"bidding_deadline": (date.today() + timedelta(days=50)).isoformat() + "T10:00"}, "before the service starts"),
    ({"bidding_deadline": "tomorrow"}, "Enter a date and time"),
    ({"price_weight": "150"}, "Enter a number from 0 to 100"),
    ({"workload": "0"}, "Enter a number from 1 to 100"),
    ({"required_worker_level": "boss"}, "Not a valid choice"),
    ({"region": "99999"}, "Not a valid choice"),
])
def test_create_refuses_bad_input(client, auth, world, overrides, message):
    needs = open_needs(world, 2)
    db.session.commit()
    auth.login("civil")
    before = count(Project)
    response = client.post("/projects/new", data=project_form(world, needs, **overrides))
    assert response.status_code == 200
    assert message in text(response)
    assert count(Project) == before
    assert all(db.session.get(Need, n.id).project_id is None for n in needs)


def test_multi_year_term_accepted_when_confirmed(client, auth, world):
    needs = open_needs(world, 1)
    db.session.commit()
    auth.login("civil")
    response = client.post("/projects/new", data=project_form(world, needs, service_end=start_in(40 + 700),
                                                                multi_year="y"))
    assert response.status_code == 302


def test_create_refuses_needs_that_are_not_available(client, auth, world):
    closed = make_need(world.resident, world.visits, status=NeedStatus.delivered, title="Done already")
    river = open_needs(world, 1, region=world.c3)[0]
    db.session.commit()
    auth.login("civil2")  # street 2 staff choosing a street 1 need, and a need outside the project's area
    for needs, region, message in (([closed], world.street2, "is no longer open"),
                                   ([river], world.street1, "Not a valid choice"),
                                   (open_needs(world, 1), world.street2, "lies outside the project")):
        db.session.commit()
        response = client.post("/projects/new", data=project_form(world, needs, region=region.id))
        assert response.status_code == 200 and message in text(response), message
    auth.as_(world["civil"])
    response = client.post("/projects/new", data=project_form(world, [river], region=world.street1.id))
    assert "lies outside the project" in text(response)
    assert count(Project) == 0


@pytest.mark.parametrize("username", [u for u in ROLES if u not in ("civil", "civil2", "admin")])
def test_create_refused_to_other_roles(client, auth, world, username):
    needs = open_needs(world, 1)
    db.session.commit()
    auth.login(username)
    assert client.get("/projects/new").status_code == 403
    assert client.post("/projects/new", data=project_form(world, needs)).status_code == 403
    assert count(Project) == 0


def test_edit_a_draft_frees_needs_taken_out(client, auth, world):
    needs = open_needs(world, 2)
    project = make_project(world.street1, status=ProjectStatus.draft, needs=needs, title="Draft plan")
    db.session.commit()
    auth.login("civil")
    page = text(client.get(f"/projects/{project.id}/edit"))
    assert 'value="Draft plan"' in page and "checked" in page
    response = client.post(f"/projects/{project.id}/edit",
                           data=project_form(world, needs[:1], title="Draft plan v2", budget="280000"))
    assert response.status_code == 302
    project = db.session.get(Project, project.id)
    assert project.title == "Draft plan v2" and project.budget == Decimal("280000.00")
    assert [n.id for n in project.needs] == [needs[0].id]
    assert db.session.get(Need, needs[1].id).project_id is None
    event = events("project.update", project)[0]
    assert len(event.before["need_ids"]) == 2 and event.after["need_ids"] == [needs[0].id]


def test_edit_refused_after_publication_and_out_of_scope(client, auth, world):
    published = published_project(world)  # its terms can change while bidding is open (test_tender_changes)
    past_deadline(published)
    closed = published_project(world, status=ProjectStatus.bidding_closed)
    draft = make_project(world.street1, status=ProjectStatus.draft, needs=open_needs(world, 1))
    db.session.commit()
    auth.login("civil")
    assert client.get(f"/projects/{published.id}/edit").status_code == 403
    assert client.get(f"/projects/{closed.id}/edit").status_code == 403
    auth.as_(world["civil2"])
    assert client.get(f"/projects/{draft.id}/edit").status_code == 403
    assert client.post(f"/projects/{draft.id}/edit", data=project_form(world, draft.needs)).status_code == 403


# --------------------------------------------------------------------------- publish and cancel


def test_publish_notifies_organizations_working_in_the_area(client, auth, world):
    project = make_project(world.street1, status=ProjectStatus.draft, needs=open_needs(world, 1))
    db.session.commit()
    auth.login("civil")
    assert client.post(f"/projects/{project.id}/publish").status_code == 302
    project = db.session.get(Project, project.id)
    assert project.status == ProjectStatus.published and project.published_at is not None
    assert events("project.publish", project)
    assert notified(world["orgadmin"], "project_published")      # org1 serves street 1
    assert not notified(world["orgadmin2"], "project_published")  # org2 serves street 2
    assert not notified(world["worker"], "project_published")
    # Publishing twice is refused.
    response = client.post(f"/projects/{project.id}/publish", follow_redirects=True)
    assert "Only a draft can be published" in text(response)


def test_publish_refused_when_the_deadline_passed_or_a_need_closed(client, auth, world):
    needs = open_needs(world, 1)
    project = make_project(world.street1, status=ProjectStatus.draft, needs=needs,
                           deadline=now() - timedelta(hours=2))
    db.session.commit()
    auth.login("civil")
    response = client.post(f"/projects/{project.id}/publish", follow_redirects=True)
    assert "The bidding deadline must be in the future" in text(response)
    project.bidding_deadline = now() + timedelta(days=3)
    needs[0].status = NeedStatus.withdrawn
    db.session.commit()
    response = client.post(f"/projects/{project.id}/publish", follow_redirects=True)
    assert "no longer open" in text(response)
    assert db.session.get(Project, project.id).status == ProjectStatus.draft
    assert not events("project.publish")


def test_civil2_cannot_manage_a_street1_project(client, auth, world):
    project = make_project(world.street1, status=ProjectStatus.draft, needs=open_needs(world, 1))
    db.session.commit()
    auth.login("civil2")
    for url in ("publish", "close", "start", "cancel"):
        assert client.post(f"/projects/{project.id}/{url}", data={"cancel-reason": "x"}).status_code == 403
    assert client.get(f"/projects/{project.id}/scores").status_code == 403
    assert client.get(f"/projects/{project.id}/award").status_code == 403
    assert db.session.get(Project, project.id).status == ProjectStatus.draft


@pytest.mark.parametrize("username", [u for u in ROLES if u not in ("civil", "admin")])
def test_project_steps_refused_to_other_roles(client, auth, world, username):
    project = published_project(world)
    db.session.commit()
    auth.login(username)
    for verb in ("publish", "close", "start"):
        assert client.post(f"/projects/{project.id}/{verb}").status_code == 403
    assert client.post(f"/projects/{project.id}/cancel", data={"cancel-reason": "x"}).status_code == 403
    assert db.session.get(Project, project.id).status == ProjectStatus.published


def test_cancel_needs_a_reason_frees_needs_and_tells_bidders(client, auth, world):
    project = published_project(world)
    make_bid(project, world.org1)
    needs = list(project.needs)
    db.session.commit()
    auth.login("civil")
    response = client.post(f"/projects/{project.id}/cancel", data={"cancel-reason": ""})
    assert response.status_code == 200 and "Give the reason" in text(response)
    assert db.session.get(Project, project.id).status == ProjectStatus.published
    response = client.post(f"/projects/{project.id}/cancel", data={"cancel-reason": "Budget withdrawn"})
    assert response.status_code == 302
    project = db.session.get(Project, project.id)
    assert project.status == ProjectStatus.cancelled and project.status_reason == "Budget withdrawn"
    assert all(db.session.get(Need, n.id).project_id is None for n in needs)
    event = events("project.cancel", project)[0]
    assert sorted(event.before["need_ids"]) == sorted(n.id for n in needs)
    assert notified(world["orgadmin"], "project_cancelled")
    response = client.post(f"/projects/{project.id}/cancel", data={"cancel-reason": "again"}, follow_redirects=True)
    assert "only be cancelled before the award" in text(response)


# --------------------------------------------------------------------------- coverage and satisfaction


def test_detail_shows_coverage_and_satisfaction(client, auth, world):
    resident = make_resident(world.c2, name="Second resident")
    statuses = [NeedStatus.matched, NeedStatus.in_service, NeedStatus.delivered, NeedStatus.closed,
                NeedStatus.closed, NeedStatus.withdrawn]
    needs = [make_need(resident, world.visits, status=s, title=f"Need {i}") for i, s in enumerate(statuses)]
    project = make_project(world.street1, status=ProjectStatus.in_progress, needs=needs, title="Running visits")
    for need, rating in ((needs[3], 5), (needs[4], 4)):
        db.session.add(Feedback(need=need, rating=rating))
    shift = make_shift(world.c1, project=project)
    other_shift = make_shift(world.c1)
    for s, minutes, hours in ((shift, 120, HoursStatus.approved), (other_shift, 600, HoursStatus.approved)):
        db.session.add(SignUp(shift=s, volunteer=world.volunteer, status=SignUpStatus.checked_out, minutes=minutes,
                              hours_status=hours))
    db.session.commit()
    from linkage.projects.queries import coverage

    result = coverage(db.session.get(Project, project.id))
    assert result.by_status[NeedStatus.closed] == 2 and result.by_status[NeedStatus.open] == 0
    assert result.total == 5 and result.delivered == 3 and result.delivered_share == pytest.approx(0.6)
    assert result.rating_average == 4.5 and result.rating_count == 2
    assert result.volunteer_minutes == 120 and result.volunteer_hours == 2.0
    auth.login("civil")
    page = text(client.get(f"/projects/{project.id}"))
    assert "Coverage and satisfaction" in page and "60%" in page and "4.5" in page
    assert "(2 ratings)" in page


def test_detail_shows_the_history_to_managers_only(client, auth, world):
    project = make_project(world.street1, status=ProjectStatus.draft, needs=open_needs(world, 1))
    db.session.commit()
    auth.login("civil")
    client.post(f"/projects/{project.id}/publish")
    assert "Project published" in text(client.get(f"/projects/{project.id}"))
    auth.as_(world["orgadmin"])
    assert "Project published" not in text(client.get(f"/projects/{project.id}"))
