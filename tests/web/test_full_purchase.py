"""A whole government purchase through the browser (HTTP only), told as a story.

Civil affairs of the district publish two projects. Four organizations take part: Sunshine (4A) and
Harmony (3A) bid; Willow (2A) is below the first project's minimum grade and is refused; Maple is
blacklisted after an audit and refused. A late bid is refused. An expert who is a social worker of a bidder
is refused a seat on the panel; five experts score every criterion and each bid's highest and lowest totals
are dropped. Sunshine wins; the award notice and each bidder's notification tell the rank and score. Harmony
complains within the window, which holds the contract back past the standstill until civil affairs answer.
The contract has three installments: the first due at signing, the second released by a passed mid-term
check, the last by the final evaluation, which feeds Sunshine's record on its profile page; each is paid,
and the spending shows against the budget. The second project has no valid bid left at the close: it fails
and is published again. At the end, anyone without an account reads the finished purchase on the public
page and in its open contracting data (OCDS 1.1 release and record packages), which validate against the
standard's schema with the bid and transaction milestones extensions (``tests/ocds_schema.py``).

Outside HTTP only the clock (``linkage.timeutil.as_of``) is set, and the fixtures make the accounts, the
organizations, the residents' open needs and the delivery the platform records (a shift held, hours, a
rating).

``purchase_through_the_award_and_contract(client, auth, world)`` runs the story and returns the finished
project, for later checks of what the public may see of it.
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from html import unescape

import sqlalchemy as sa

from linkage.extensions import db
from linkage.models import (BidStatus, Complaint, ComplaintStatus, ContractStatus, Document, Milestone,
                            Organization, OrgStatus, Payment, Project, ProjectStatus, Role, User)
from linkage.timeutil import as_of, to_local
from tests import ocds_schema
from tests.factories import make_org, make_social_worker, make_user, now
from tests.web.test_contract_documents import PDF, upload
from tests.web.test_contracts import contract_form, contract_of, delivered, installment
from tests.web.test_panels import _score_form
from tests.web.test_projects_support import (bid_form, bid_of, english, notified, open_needs,  # noqa: F401
                                             project_form, text)

# Each expert's criterion scores (plan 40 %, team 30 %, record 20 %, budget 10 %) per bid; weighted totals:
# Sunshine: 95 (100, 90, 100, 80), 85, 80, 75, 40 → 95 and 40 dropped → (85 + 80 + 75) ÷ 3 = 80.00
# Harmony:  90, 72, 70, 68, 20                   → 90 and 20 dropped → (72 + 70 + 68) ÷ 3 = 70.00
# (Without the drop the averages would be 75.00 and 64.00.)
SCORES = {
    "sunshine": [(100, 90, 100, 80), (85,) * 4, (80,) * 4, (75,) * 4, (40,) * 4],
    "harmony": [(90,) * 4, (72,) * 4, (70,) * 4, (68,) * 4, (20,) * 4],
}
# With a price weight of 30 %: technical points = panel score × 0.7, price points = lowest price ÷ price × 30.
# Sunshine: 56.00 + 200,000 ÷ 250,000 × 30 = 24.00 → 80.00; Harmony: 49.00 + 30.00 → 79.00.
DEADLINE_DAY = 10          # the bidding closes at 17:00 local time on day 10
AWARD_DAY = 12
STANDSTILL_DAYS = 10       # the settings' defaults
COMPLAINT_WINDOW_DAYS = 7
STORY_DAYS = 60            # day 0 is this many days ago: the purchase is over by today


def page(response) -> str:
    return unescape(text(response))


def offers(html: str, url: str) -> bool:
    """Whether the page has a link or a button (a form) leading to ``url``: the user can take that step."""
    return f'href="{url}"' in html or f'action="{url}"' in html


@dataclass
class Purchase:
    """The people taking part and what they made so far; ``on(day)`` sets the platform's clock."""
    client: object
    auth: object
    world: object
    start: datetime
    admins: dict = field(default_factory=dict)       # organization name → its admin's account
    workers: dict = field(default_factory=dict)      # organization name → a social worker
    willow: Organization = None
    maple: Organization = None
    experts: list = field(default_factory=list)
    tied_expert: User = None
    project: Project = None
    second: Project = None
    second_need_ids: list = field(default_factory=list)

    @contextmanager
    def on(self, day: int, hour: int = 9):
        """Day ``day`` of the story at ``hour`` local time (day 0 starts at 09:00)."""
        with as_of(self.start + timedelta(days=day, hours=hour - 9)):
            yield

    def as_(self, who):
        self.auth.as_(self.world[who] if isinstance(who, str) else who)

    def get(self, url) -> str:
        response = self.client.get(url)
        assert response.status_code == 200, url
        return page(response)

    def post(self, url, data=None, follow=False):
        return self.client.post(url, data=data or {}, follow_redirects=follow)

    def fresh(self, project=None) -> Project:
        return db.session.get(Project, (project or self.project).id)

    def local_day(self, day, hour=17) -> str:
        """Day ``day`` at ``hour`` local time, as typed in a date-time field."""
        moment = to_local(self.start + timedelta(days=day)).replace(hour=hour, minute=0)
        return moment.strftime("%Y-%m-%dT%H:%M")

    def date(self, day) -> str:
        return (to_local(self.start) + timedelta(days=day)).date().isoformat()


# --------------------------------------------------------------------------- the people taking part


def meet_the_participants(story: Purchase) -> None:
    """Two more organizations with their admins and workers, five experts, and one working for Sunshine."""
    w = story.world
    story.willow = make_org("Willow Family Services", w.street1, grade=2)
    story.maple = make_org("Maple Home Care", w.street2, grade=4)
    for org, username in ((story.willow, "willowadmin"), (story.maple, "mapleadmin")):
        story.admins[org.name] = make_user(username, Role.org_admin, org.region, organization=org)
        story.workers[org.name] = make_social_worker(org, None, name=f"Worker of {org.name}")
    story.experts = [make_user(f"expert{i}", Role.expert, w.district, name=f"Expert {i}")
                     for i in range(1, 6)]
    story.tied_expert = make_user("tiedexpert", Role.expert, w.district, name="Tied Expert")
    make_social_worker(w.org1, story.tied_expert, name="Tied Expert")
    db.session.commit()


# --------------------------------------------------------------------------- two projects published


def publish_two_projects(story: Purchase) -> None:
    """Civil affairs make both projects from open needs through the form, then publish them."""
    w = story.world
    with story.on(0):
        first_needs, second_needs = open_needs(w, 2), open_needs(w, 1)
        db.session.commit()
        story.second_need_ids = [n.id for n in second_needs]
        story.as_("civil")
        story.project = _create_project(story, first_needs, "Home visits for elders living alone",
                                        min_grade="3")
        story.second = _create_project(story, second_needs, "Meals for elders in Pine Community",
                                       budget="80000")
        for project in (story.project, story.second):
            assert offers(story.get(f"/projects/{project.id}"), f"/projects/{project.id}/publish")
            response = story.post(f"/projects/{project.id}/publish", follow=True)
            assert "Published: organizations can bid until the deadline." in page(response)
        story.as_("orgadmin")
        listing = story.get("/projects/")
        assert "Home visits for elders living alone" in listing
        assert "Meals for elders in Pine Community" in listing
    assert story.fresh().status == story.fresh(story.second).status == ProjectStatus.published


def _create_project(story, needs, title, **overrides) -> Project:
    form = project_form(story.world, needs, title=title, region=story.world.district.id,
                        bidding_deadline=story.local_day(DEADLINE_DAY), service_start=story.date(40),
                        service_end=story.date(340), **overrides)
    assert offers(story.get("/projects/"), "/projects/new")
    response = story.post("/projects/new", data=form, follow=True)
    assert "Draft saved. Check it, then publish it to open the bidding." in page(response)
    project = db.session.scalar(sa.select(Project).where(Project.title == title))
    assert project.status == ProjectStatus.draft
    assert sorted(n.id for n in project.needs) == [n.id for n in needs]
    return project


# --------------------------------------------------------------------------- bids, and who may not bid


def bids_come_in(story: Purchase) -> None:
    """Sunshine and Harmony bid on the first project; Maple, still in good standing, bids on the second."""
    w = story.world
    with story.on(2):
        story.as_("orgadmin")
        assert offers(story.get(f"/projects/{story.project.id}"), f"/projects/{story.project.id}/bid")
        data = bid_form(w, price="250000")
        response = story.post(f"/projects/{story.project.id}/bid", data=data, follow=True)
        assert "Your bid was submitted. You can change or withdraw it until the deadline." in page(response)
        story.as_("orgadmin2")
        data = bid_form(w, price="200000", team=[w.worker2.id])
        assert story.post(f"/projects/{story.project.id}/bid", data=data).status_code == 302
        story.as_(story.admins["Maple Home Care"])
        data = bid_form(w, price="70000", team=[story.workers["Maple Home Care"].id])
        assert story.post(f"/projects/{story.second.id}/bid", data=data).status_code == 302
    assert bid_of(story.project, w.org1).status == bid_of(story.project, w.org2).status == BidStatus.submitted
    assert bid_of(story.second, story.maple).status == BidStatus.submitted


def an_organization_below_the_grade_is_refused(story: Purchase) -> None:
    """Willow (2A) reads why it may not bid on a project requiring 3A, and its bid is not taken."""
    reason = "This project requires grade 3A or higher; your organization's valid grade is 2A."
    with story.on(3):
        story.as_(story.admins["Willow Family Services"])
        assert reason in story.get(f"/projects/{story.project.id}/bid")
        data = bid_form(story.world, team=[story.workers["Willow Family Services"].id])
        response = story.post(f"/projects/{story.project.id}/bid", data=data)
        assert response.status_code == 200 and reason in page(response)
    assert bid_of(story.project, story.willow) is None


def a_blacklisted_organization_is_refused(story: Purchase) -> None:
    """An audit finds Maple padded its hours: civil affairs blacklist it, and its next bid is refused."""
    with story.on(4):
        story.as_("civil")
        maple = f"/organizations/{story.maple.id}"
        assert offers(story.get(maple), f"{maple}/blacklist")
        response = story.post(f"{maple}/blacklist",
                              data={"blacklist-reason": "The audit found padded service hours."}, follow=True)
        assert "Organization blacklisted: it can no longer bid." in page(response)
        assert db.session.get(Organization, story.maple.id).status == OrgStatus.blacklisted
        story.as_(story.admins["Maple Home Care"])
        data = bid_form(story.world, team=[story.workers["Maple Home Care"].id])
        response = story.post(f"/projects/{story.project.id}/bid", data=data)
        assert "Your organization is blacklisted (bad credit record) and may not bid." in page(response)
    assert bid_of(story.project, story.maple) is None


def a_late_bid_is_refused(story: Purchase) -> None:
    """An hour after the deadline Sunshine tries the second project: the bidding is closed."""
    with story.on(DEADLINE_DAY, hour=18):
        story.as_("orgadmin")
        detail = story.get(f"/projects/{story.second.id}")
        assert "Submit a bid" not in detail and not offers(detail, f"/projects/{story.second.id}/bid")
        response = story.post(f"/projects/{story.second.id}/bid", data=bid_form(story.world, price="60000"))
        assert response.status_code == 200 and "Bidding for this project closed at" in page(response)
    assert bid_of(story.second, story.world.org1) is None


# --------------------------------------------------------------------------- the expert panel


def civil_affairs_seat_the_panel(story: Purchase) -> None:
    """Five experts are seated; the one working for a bidder is refused with the reason."""
    with story.on(5):
        story.as_("civil")
        assert offers(story.get(f"/projects/{story.project.id}"), f"/projects/{story.project.id}/panel")
        for expert in story.experts:
            response = story.post(f"/projects/{story.project.id}/panel", data={"expert": expert.id},
                                  follow=True)
            assert "The expert was put on the panel and told." in page(response)
        response = story.post(f"/projects/{story.project.id}/panel",
                              data={"expert": story.tied_expert.id})
        assert response.status_code == 200
        assert ("Tied Expert cannot sit on this panel: Tied Expert is a social worker of Sunshine Social Work "
                "Center, which bids on this project.") in page(response)
        panel = story.get(f"/projects/{story.project.id}/panel")
        assert all(e.display_name in panel for e in story.experts)
    assert all(notified(e, "panel_assigned") for e in story.experts)
    assert not notified(story.tied_expert, "panel_assigned")


def the_bidding_closes(story: Purchase) -> None:
    """After the deadline civil affairs close both: the first waits for the panel, the second failed (Maple's
    bid fell with the blacklisting, so no valid bid is left)."""
    with story.on(DEADLINE_DAY, hour=20):
        story.as_("civil")
        for project in (story.project, story.second):
            assert offers(story.get(f"/projects/{project.id}"), f"/projects/{project.id}/close")
        response = story.post(f"/projects/{story.project.id}/close", follow=True)
        assert "Bidding closed." in page(response)
        response = story.post(f"/projects/{story.second.id}/close", follow=True)
        assert ("Bidding closed without a valid bid: the project failed and its needs are free again."
                in page(response))
    assert story.fresh().status == ProjectStatus.bidding_closed
    assert story.fresh(story.second).status == ProjectStatus.failed
    assert bid_of(story.second, story.maple).status == BidStatus.disqualified


def the_experts_score(story: Purchase) -> None:
    """Each expert declares no conflict and scores every criterion; the drop rule gives 80.00 and 70.00."""
    sunshine, harmony = bid_of(story.project, story.world.org1), bid_of(story.project, story.world.org2)
    with story.on(DEADLINE_DAY + 1):
        for i, expert in enumerate(story.experts):
            story.as_(expert)
            assert offers(story.get("/projects/"), f"/projects/{story.project.id}")
            assert offers(story.get(f"/projects/{story.project.id}"), f"/projects/{story.project.id}/declare")
            response = story.post(f"/projects/{story.project.id}/declare", data={"no_conflict": "y"},
                                  follow=True)
            assert "You are on the panel: score the bids." in page(response)
            assert offers(page(response), f"/projects/{story.project.id}/evaluate")
            form = story.get(f"/projects/{story.project.id}/evaluate")
            assert "Service plan and methods" in form and "(40 %)" in form
            scores = {sunshine: SCORES["sunshine"][i], harmony: SCORES["harmony"][i]}
            data = _score_form(story.project, scores)
            response = story.post(f"/projects/{story.project.id}/evaluate", data=data, follow=True)
            assert "Your scores were saved." in page(response)
    sunshine, harmony = bid_of(story.project, story.world.org1), bid_of(story.project, story.world.org2)
    assert (sunshine.technical_score, sunshine.price_score, sunshine.total_score) == (56.0, 24.0, 80.0)
    assert (harmony.technical_score, harmony.price_score, harmony.total_score) == (49.0, 30.0, 79.0)
    assert story.fresh().status == ProjectStatus.evaluated


# --------------------------------------------------------------------------- award, notice, complaint


def civil_affairs_award(story: Purchase) -> None:
    """The award page ranks Sunshine first; civil affairs award it."""
    sunshine = bid_of(story.project, story.world.org1)
    with story.on(AWARD_DAY):
        story.as_("civil")
        assert offers(story.get(f"/projects/{story.project.id}"), f"/projects/{story.project.id}/award")
        ranking = story.get(f"/projects/{story.project.id}/award")
        assert ranking.index("Sunshine Social Work Center") < ranking.index("Harmony Community Services")
        assert f'value="{sunshine.id}" checked' in ranking
        response = story.post(f"/projects/{story.project.id}/award", data={"bid": sunshine.id}, follow=True)
        assert "Project awarded; the organizations and the residents concerned were told." in page(response)
        panel = story.get(f"/projects/{story.project.id}/panel")   # each expert scored both bids
        assert panel.count('<td class="text-end">2 / 2</td>') == 5 and "The panel's record" in panel
    assert story.fresh().status == ProjectStatus.awarded
    assert bid_of(story.project, story.world.org1).status == BidStatus.won


def every_bidder_learns_its_rank_and_score(story: Purchase) -> None:
    """Each bidder reads its rank and total in its notifications; the award notice lists both, with prices."""
    title = "Home visits for elders living alone"
    told = {"orgadmin": f'Your bid for "{title}" won: rank 1 of 2, total score 80.00.',
            "orgadmin2": f'Your bid for "{title}" did not win: rank 2 of 2, total score 79.00.'}
    with story.on(AWARD_DAY, hour=11):
        for username, message in told.items():
            story.as_(username)
            assert message in story.get("/notifications")
            assert offers(story.get(f"/projects/{story.project.id}"), f"/projects/{story.project.id}/notice")
            notice = story.get(f"/projects/{story.project.id}/notice")
            assert _notice_rows(notice) == [
                ("1", "Sunshine Social Work Center", "CN¥250,000.00", "56.00", "24.0", "80.0"),
                ("2", "Harmony Community Services", "CN¥200,000.00", "49.00", "30.0", "79.0")]
            assert "¥250,000.00" in notice and "¥200,000.00" in notice
            assert "Bidders may file a complaint until" in notice


def _notice_rows(notice) -> list[tuple]:
    """The award notice's ranking: rank, organization, price, technical, price score and total per row."""
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", notice[notice.index("<tbody>"):], re.S)
    return [tuple(re.sub(r"<span.*?</span>|<[^>]+>", "", cell).strip()
                  for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)[:6]) for row in rows]


def a_complaint_holds_the_contract_back(story: Purchase) -> None:
    """Harmony complains within the window. Civil affairs draw up the contract, but Sunshine cannot sign it
    during the standstill, nor after it while the complaint is open; civil affairs answer, then it is
    signed."""
    project_id = story.project.id
    with story.on(AWARD_DAY + 2):
        story.as_("orgadmin2")
        assert offers(story.get(f"/projects/{project_id}"), f"/projects/{project_id}/complaints")
        assert "File a complaint" in story.get(f"/projects/{project_id}/complaints")
        response = story.post(f"/projects/{project_id}/complaints",
                              data={"text": "The winner's team has no senior social worker."}, follow=True)
        assert ("Your complaint was filed; civil affairs answer it in writing. The contract waits."
                in page(response))
    complaint = db.session.scalar(sa.select(Complaint).where(Complaint.project_id == project_id))
    assert complaint.status == ComplaintStatus.open and notified(story.world["civil"], "complaint_filed")

    with story.on(AWARD_DAY + 3):
        story.as_("civil")
        assert offers(story.get(f"/projects/{project_id}"), f"/contracts/new/{project_id}")
        response = story.post(f"/contracts/new/{project_id}", data=contract_form(term_start=story.date(40)),
                              follow=True)
        assert "Contract drawn up; the organization's admin was asked to sign it." in page(response)
        contract = contract_of(story.project)
        assert [(i.milestone, i.percent, i.amount) for i in contract.installments] == [
            (Milestone.signing, 30, Decimal("75000.00")), (Milestone.midterm, 40, Decimal("100000.00")),
            (Milestone.final, 30, Decimal("75000.00"))]
        story.as_("orgadmin")
        response = story.post(f"/contracts/{contract.id}/sign", follow=True)
        assert "The standstill after the award notice lasts until" in page(response)

    with story.on(AWARD_DAY + STANDSTILL_DAYS + 1):   # the standstill is over; the complaint is not answered
        story.as_("orgadmin")
        response = story.post(f"/contracts/{contract.id}/sign", follow=True)
        assert ("A complaint by Harmony Community Services is under review; answer it before the contract is "
                "signed.") in page(response)
        assert story.fresh().status == ProjectStatus.awarded

        story.as_("civil")
        complaints = story.get(f"/projects/{project_id}/complaints")
        assert "A complaint by Harmony Community Services is under review" in complaints
        assert offers(complaints, f"/projects/{project_id}/complaints/{complaint.id}/answer")
        answer = {f"a{complaint.id}-decision": "dismissed",
                  f"a{complaint.id}-answer": "Li Hua and Wang Fang, a senior social worker, are on the team."}
        response = story.post(f"/projects/{project_id}/complaints/{complaint.id}/answer", data=answer,
                              follow=True)
        assert "The complaint was answered; the organization was told." in page(response)
        story.as_("orgadmin2")
        assert "Wang Fang, a senior social worker" in story.get(f"/projects/{project_id}/complaints")
    assert db.session.get(Complaint, complaint.id).status == ComplaintStatus.dismissed


# --------------------------------------------------------------------------- the contract and its money


def sunshine_signs_and_the_first_installment_is_paid(story: Purchase) -> None:
    contract = contract_of(story.project)
    with story.on(AWARD_DAY + STANDSTILL_DAYS + 1, hour=11):
        story.as_("orgadmin")
        assert offers(story.get(f"/projects/{story.project.id}"), f"/contracts/{contract.id}")
        assert offers(story.get(f"/contracts/{contract.id}"), f"/contracts/{contract.id}/sign")
        response = story.post(f"/contracts/{contract.id}/sign", follow=True)
        assert ("Contract signed: the project is contracted and the first installment is due."
                in page(response))

        story.as_("civil")
        signing, midterm = installment(contract, Milestone.signing), installment(contract, Milestone.midterm)
        sheet = story.get(f"/contracts/{contract.id}")
        assert offers(sheet, f"/contracts/{contract.id}/installments/{signing.id}/pay")
        assert not offers(sheet, f"/contracts/{contract.id}/installments/{midterm.id}/pay")
        response = story.post(f"/contracts/{contract.id}/installments/{signing.id}/pay", follow=True)
        assert "Payment recorded." in page(response)
        response = story.post(f"/contracts/{contract.id}/installments/{midterm.id}/pay", follow=True)
        assert "that milestone has not been reached" in page(response)
        _assert_spending(story, paid="¥75,000.00", share=25)
    contract = contract_of(story.project)
    assert contract.status == ContractStatus.signed and contract.signed_by_id == story.world["orgadmin"].id
    assert story.fresh().status == ProjectStatus.contracted
    assert _paid() == Decimal("75000.00")


def the_service_starts_and_is_delivered(story: Purchase) -> None:
    """The service starts; civil affairs name the evaluator; the platform records a visit held and rated."""
    contract = contract_of(story.project)
    with story.on(40):
        story.as_("civil")
        assert offers(story.get(f"/projects/{story.project.id}"), f"/projects/{story.project.id}/start")
        response = story.post(f"/projects/{story.project.id}/start", follow=True)
        assert "The project is in progress." in page(response)
        evaluator = story.experts[0]
        assert offers(story.get(f"/contracts/{contract.id}"), f"/contracts/{contract.id}/evaluator")
        response = story.post(f"/contracts/{contract.id}/evaluator", data={"evaluator": evaluator.id},
                              follow=True)
        assert "Evaluator assigned." in page(response)
    delivered(story.world, story.fresh())
    assert story.fresh().status == ProjectStatus.in_progress


def sunshine_reports_its_progress(story: Purchase) -> None:
    """Sunshine's social worker uploads the mid-term report on the contract page; the evaluator reads it."""
    contract = contract_of(story.project)
    with story.on(44):
        story.as_("worker")
        assert offers(story.get(f"/contracts/{contract.id}"), f"/contracts/{contract.id}/documents")
        response = upload(story.client, contract, "midterm-report.pdf", PDF, title="Mid-term progress report")
        assert response.status_code == 302
        story.as_(story.experts[0])
        document = db.session.scalar(sa.select(Document).where(Document.contract_id == contract.id))
        sheet = story.get(f"/contracts/{contract.id}")
        assert "Mid-term progress report" in sheet
        assert offers(sheet, f"/contracts/{contract.id}/documents/{document.id}")
        response = story.client.get(f"/contracts/{contract.id}/documents/{document.id}")
        assert response.status_code == 200 and response.data == PDF
        response.close()


def a_passed_midterm_check_releases_the_second_installment(story: Purchase) -> None:
    contract = contract_of(story.project)
    with story.on(45):
        story.as_(story.experts[0])
        assert offers(story.get("/contracts/"), f"/contracts/{contract.id}")
        assert offers(story.get(f"/contracts/{contract.id}"), f"/contracts/{contract.id}/evaluate/midterm")
        form = story.get(f"/contracts/{contract.id}/evaluate/midterm")
        assert "resident satisfaction: 5.0 of 5" in form and "targets met: 50.0 %" in form
        response = story.post(f"/contracts/{contract.id}/evaluate/midterm", follow=True, data={
            "score": "84", "passed": "y", "comment": "Visits on schedule", "financial_note": "As planned"})
        assert "Evaluation recorded." in page(response)
        assert installment(contract_of(story.project), Milestone.midterm).released

        story.as_("civil")
        midterm = installment(contract, Milestone.midterm)
        assert offers(story.get(f"/contracts/{contract.id}"),
                      f"/contracts/{contract.id}/installments/{midterm.id}/pay")
        response = story.post(f"/contracts/{contract.id}/installments/{midterm.id}/pay", follow=True)
        assert "Payment recorded." in page(response)
        _assert_spending(story, paid="¥175,000.00", share=58)
    assert story.fresh().status == ProjectStatus.midterm_evaluated
    assert _paid() == Decimal("175000.00")


def the_final_evaluation_feeds_the_record(story: Purchase) -> None:
    """The final evaluation completes the project and releases the last installment, which is paid; Sunshine's
    profile shows both evaluations and the residents' satisfaction."""
    contract = contract_of(story.project)
    with story.on(55):
        story.as_(story.experts[0])
        assert offers(story.get(f"/contracts/{contract.id}"), f"/contracts/{contract.id}/evaluate/final")
        response = story.post(f"/contracts/{contract.id}/evaluate/final", follow=True,
                              data={"score": "91.5", "passed": "y", "comment": "Targets reached"})
        assert "Evaluation recorded." in page(response)
        story.as_("civil")
        final = installment(contract, Milestone.final)
        assert offers(story.get(f"/contracts/{contract.id}"),
                      f"/contracts/{contract.id}/installments/{final.id}/pay")
        response = story.post(f"/contracts/{contract.id}/installments/{final.id}/pay", follow=True)
        assert "Payment recorded." in page(response)
        _assert_spending(story, paid="¥250,000.00", share=83)
        assert page(story.client.get(f"/contracts/{contract.id}")).count("approved by") == 3

        for reader in ("civil", "orgadmin"):   # the district's civil affairs and Sunshine itself
            story.as_(reader)
            _assert_record(story.get(f"/organizations/{story.world.org1.id}"))
    assert story.fresh().status == ProjectStatus.final_evaluated
    assert _paid() == Decimal("250000.00")


def _assert_record(profile):
    """The organization's record on its profile: both evaluations of the contract, the residents' rating."""
    record = profile[profile.index("<h2 class=\"h5\">Record</h2>"):]
    assert "Resident satisfaction: 5.0 of 5 from 1 ratings" in record
    rows = {kind: (score, result) for kind, score, result in re.findall(
        r"<td>Home visits for elders living alone</td><td>([^<]+)</td>.*?"
        r"<td class=\"text-end\">([\d.]+)</td>\s*<td>(\w+)</td>", record, re.S)}
    assert rows == {"Final evaluation": ("91.50", "Passed"), "Mid-term check": ("84.00", "Passed")}


def _assert_spending(story, paid, share):
    """Civil affairs read the money of the project at a glance on its page: the budget, the contract, paid."""
    detail = story.get(f"/projects/{story.project.id}")
    figures = detail[detail.index("Spending against budget"):]
    assert "¥300,000.00" in figures and "¥250,000.00" in figures
    assert re.search(r"Paid</dt><dd[^>]*>(CN)?" + re.escape(paid), figures)
    assert f"{share} % of the budget paid" in figures


def _paid() -> Decimal:
    return db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(Payment.amount), 0)))


# --------------------------------------------------------------------------- the failed project, again


def the_failed_project_is_published_again(story: Purchase) -> None:
    """Civil affairs publish the failed project again with a new deadline; organizations may bid anew."""
    with story.on(DEADLINE_DAY + 1, hour=15):
        story.as_("civil")
        detail = story.get(f"/projects/{story.second.id}")
        assert "Publish again" in detail and offers(detail, f"/projects/{story.second.id}/republish")
        response = story.post(f"/projects/{story.second.id}/republish")
        copy = db.session.scalar(sa.select(Project).where(Project.republished_from_id == story.second.id))
        assert response.status_code == 302 and response.location.endswith(f"/projects/{copy.id}/edit")
        form = project_form(story.world, copy.needs, title=copy.title, region=story.world.district.id,
                            budget="80000", bidding_deadline=story.local_day(DEADLINE_DAY + 15),
                            service_start=story.date(50), service_end=story.date(350))
        assert story.post(f"/projects/{copy.id}/edit", data=form).status_code == 302
        assert offers(story.get(f"/projects/{copy.id}"), f"/projects/{copy.id}/publish")
        response = story.post(f"/projects/{copy.id}/publish", follow=True)
        assert "Published: organizations can bid until the deadline." in page(response)
        assert "Published again as" in story.get(f"/projects/{story.second.id}")
        story.as_("orgadmin")
        data = bid_form(story.world, price="60000")
        response = story.post(f"/projects/{copy.id}/bid", data=data, follow=True)
        assert "Your bid was submitted." in page(response)
    copy = db.session.get(Project, copy.id)
    assert copy.status == ProjectStatus.published and copy.title == "Meals for elders in Pine Community"
    assert [n.id for n in copy.needs] == story.second_need_ids   # freed at the failure, covered again


# --------------------------------------------------------------------------- what the public sees


def the_public_sees_the_finished_purchase(story: Purchase) -> None:
    """Signed out: the award notice with ranks, scores and prices, the payments and both evaluations on the
    public page; the purchase's releases from planning to implementation under one ocid, valid OCDS 1.1."""
    story.auth.logout()
    project, contract = story.fresh(), contract_of(story.project)
    public = story.get(f"/public/projects/{project.id}")
    assert "Award notice" in public and "Contract and payments" in public
    for name, price, total in (("Sunshine Social Work Center", "¥250,000.00", "80.0"),
                               ("Harmony Community Services", "¥200,000.00", "79.0")):
        assert name in public and price in public and total in public
    results = public[public.index("Evaluation results"):]
    assert "Mid-term check" in results and "84" in results and "Final evaluation" in results and "91.5" in results
    assert "Targets reached" not in public                 # the evaluator's words stay inside
    assert all(expert.display_name not in public for expert in story.experts)

    releases_package = story.client.get(f"/public/projects/{project.id}/ocds.json").get_json()
    record_package = story.client.get(f"/public/projects/{project.id}/ocds-record.json").get_json()
    releases = releases_package["releases"]
    assert [r["tag"] for r in releases] == [["planning"], ["tender"], ["tenderUpdate"], ["award"], ["contract"],
                                            ["implementation"]]
    _planning, _tender, update, award, signed, implementation = releases
    assert update["tender"]["numberOfTenderers"] == 2
    assert award["awards"][0]["suppliers"][0]["name"] == "Sunshine Social Work Center"
    assert award["awards"][0]["value"] == {"amount": 250000.0, "currency": "CNY"}
    assert sorted((d["tenderers"][0]["name"], d["value"]["amount"]) for d in award["bids"]["details"]) == [
        ("Harmony Community Services", 200000.0), ("Sunshine Social Work Center", 250000.0)]
    body = signed["contracts"][0]
    assert body["awardID"] == award["awards"][0]["id"] and body["value"]["amount"] == 250000.0
    assert [(m["code"], m["status"]) for m in body["milestones"]] == [
        ("signing", "met"), ("midterm", "met"), ("final", "met")]
    done = implementation["contracts"][0]["implementation"]
    assert [(t["value"]["amount"], t["relatedImplementationMilestone"]["id"]) for t in done["transactions"]] == [
        (75000.0, body["milestones"][0]["id"]), (100000.0, body["milestones"][1]["id"]),
        (75000.0, body["milestones"][2]["id"])]
    assert [(m["title"], m["status"]) for m in done["milestones"] if m["type"] == "assessment"] == [
        ("中期检查", "met"), ("末期评估", "met")]
    [record] = record_package["records"]
    assert record["ocid"] == releases[0]["ocid"] and record["releases"] == releases
    assert len(contract.installments) == 3

    assert ocds_schema.errors(releases_package, "release-package") == []
    assert ocds_schema.errors(record_package, "record-package") == []
    assert all(ocds_schema.errors(release, "release") == [] for release in releases)


# --------------------------------------------------------------------------- the whole story


def purchase_through_the_award_and_contract(client, auth, world) -> Project:
    """Run the whole purchase and return its finished project (final evaluation passed, fully paid).

    Every role signs in in turn, more often than the sign-in limit allows one address in a minute."""
    client.application.config["LOGIN_RATE_LIMIT"] = "1000 per minute"
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    start = to_local(now() - timedelta(days=STORY_DAYS)).replace(hour=9, minute=0, second=0, microsecond=0)
    story = Purchase(client, auth, world, start)
    meet_the_participants(story)
    publish_two_projects(story)
    bids_come_in(story)
    an_organization_below_the_grade_is_refused(story)
    a_blacklisted_organization_is_refused(story)
    civil_affairs_seat_the_panel(story)
    a_late_bid_is_refused(story)
    the_bidding_closes(story)
    the_experts_score(story)
    the_failed_project_is_published_again(story)
    civil_affairs_award(story)
    every_bidder_learns_its_rank_and_score(story)
    a_complaint_holds_the_contract_back(story)
    sunshine_signs_and_the_first_installment_is_paid(story)
    the_service_starts_and_is_delivered(story)
    sunshine_reports_its_progress(story)
    a_passed_midterm_check_releases_the_second_installment(story)
    the_final_evaluation_feeds_the_record(story)
    the_public_sees_the_finished_purchase(story)
    return story.fresh()


def test_a_whole_purchase_from_publication_to_the_last_payment(client, auth, world):
    project = purchase_through_the_award_and_contract(client, auth, world)
    assert project.status == ProjectStatus.final_evaluated
    assert sorted((b.organization.name, b.status) for b in project.bids) == [
        ("Harmony Community Services", BidStatus.lost), ("Sunshine Social Work Center", BidStatus.won)]
    contract = contract_of(project)
    assert [(i.milestone, i.released) for i in contract.installments] == [
        (Milestone.signing, True), (Milestone.midterm, True), (Milestone.final, True)]
    assert [p.amount for p in db.session.scalars(sa.select(Payment).order_by(Payment.id))] == [
        Decimal("75000.00"), Decimal("100000.00"), Decimal("75000.00")]
