"""The default taxonomy and the demo district (``flask seed-demo``)."""
from __future__ import annotations

import os
from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa

from linkage import audit
from linkage.audit import verify_chain
from linkage.auth.services import authenticate
from linkage.extensions import db
from linkage.identifiers import credit_code_problem, parse_resident_id
from linkage.models import (AuditEvent, Category, Feedback, MatchRun, MatchStatus, Need, NeedChannel, NeedStatus,
                            Organization, OrgStatus, Region, RegionLevel, Resident, ResidentTag, Role, Shift,
                            ShiftStatus, SignUp, SignUpStatus, Skill, SocialWorker, User, Volunteer, VulnerableTag)
from linkage.security import blind_index, decrypt
from linkage.seed import DEMO_PASSWORD, DISTRICT_CODE, install_taxonomy, seed_demo
from linkage.seed.taxonomy import SKILLS, iter_categories
from linkage.timeutil import now, today

# The sectors PRODUCT.md ("Service taxonomy") names, as English names of level-1 categories.
PRODUCT_SECTORS = [
    "Elderly care", "Children and youth", "People with disabilities", "Special-hardship households",
    "Re-employment training", "Family and neighbor mediation", "Community correction",
    "Drug rehabilitation support", "Mental health", "Health and fitness", "Culture and sports",
    "Environment and sanitation", "Legal aid", "Emergency and safety",
]
DEMO_ROLES = {
    "admin": Role.admin, "civil": Role.civil_affairs, "street": Role.civil_affairs,
    "community": Role.community_staff, "grid": Role.grid_worker, "orgadmin": Role.org_admin,
    "worker": Role.social_worker, "supervisor": Role.social_worker, "volunteer": Role.volunteer, "resident": Role.resident,
    "expert": Role.expert, "observer": Role.observer,
}
COUNTED = (Region, Category, Skill, User, Organization, SocialWorker, Resident, Volunteer, Need, Shift,
           SignUp, AuditEvent)


def count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def counts() -> dict[str, int]:
    return {model.__name__: count(model) for model in COUNTED}


@pytest.fixture
def seeded(app, seeded_demo):
    """The demo, as a first seed built it (``seeded_demo`` checks that it was created)."""
    return seeded_demo


def test_taxonomy_covers_every_sector_product_names(app):
    categories, skills = install_taxonomy()
    sectors = {c.name_en: c for c in categories.values() if c.level == 1}
    assert sorted(sectors) == sorted(PRODUCT_SECTORS)
    assert categories["youth.after_school"].name == "四点半课堂"
    assert categories["elderly.visits.companionship"].parent.parent.code == "elderly"
    for sector in sectors.values():
        assert 3 <= len(sector.children) <= 5, sector.code
        for category in sector.children:
            assert 2 <= len(category.children) <= 4, category.code
            for sub in category.children:
                assert sub.level == 3 and sub.code.startswith(category.code + ".")
                assert sub.name and sub.name_en
    assert {"elder_care", "first_aid", "tutoring", "sign_language", "driving", "psychological_support",
            "legal", "cooking", "haircut", "it_help", "mediation", "fitness", "arts", "cleaning",
            "translation"} <= set(skills)
    assert skills["first_aid"].is_certificate and not skills["cleaning"].is_certificate


def test_taxonomy_install_is_idempotent_and_keeps_admin_edits(app):
    install_taxonomy()
    db.session.commit()
    before = (count(Category), count(Skill))
    visits = db.session.scalar(sa.select(Category).where(Category.code == "elderly.visits"))
    visits.name = "上门关爱"
    phone_care = db.session.scalar(sa.select(Category).where(Category.code == "elderly.visits.phone_care"))
    db.session.delete(phone_care)
    db.session.commit()
    install_taxonomy()
    db.session.commit()
    assert (count(Category), count(Skill)) == before
    assert db.session.get(Category, visits.id).name == "上门关爱"
    restored = db.session.scalar(sa.select(Category).where(Category.code == "elderly.visits.phone_care"))
    assert restored.parent_id == visits.id


def test_demo_district_has_the_promised_shape(app, seeded):
    by_level = Counter(db.session.scalars(sa.select(Region.level)))
    levels = (RegionLevel.district, RegionLevel.street, RegionLevel.community)
    assert [by_level[level] for level in levels] == [1, 3, 12]
    district = db.session.scalar(sa.select(Region).where(Region.code == DISTRICT_CODE))
    for community in db.session.scalars(sa.select(Region).where(Region.level == RegionLevel.community)):
        assert 2 <= len(community.children) <= 4
        assert community.path.startswith(district.path) and community.path.endswith(f"/{community.id}/")
        # Communities lie within the district's ten kilometres or so.
        assert abs(community.latitude - 31.23) < 0.06 and abs(community.longitude - 121.47) < 0.06
    assert count(Resident) == 500
    assert count(Need, Need.status != NeedStatus.merged, Need.channel != NeedChannel.paper_record) == 300
    assert count(Organization) == 20
    assert count(SocialWorker) == 60
    assert count(Volunteer) == 800


def test_demo_identifiers_are_valid(app, seeded):
    for org in db.session.scalars(sa.select(Organization)):
        assert credit_code_problem(org.credit_code) is None, org.credit_code
        assert org.credit_code[0] == "5" and org.credit_code[1] in "123"
        assert org.credit_code[1] == org.org_type.value
    assert Counter(db.session.scalars(sa.select(Organization.status)))[OrgStatus.blacklisted] == 1
    assert Counter(db.session.scalars(sa.select(Organization.status)))[OrgStatus.registered] == 1
    assert {0, 3, 4, 5} <= set(db.session.scalars(sa.select(Organization.grade)))
    for resident in db.session.scalars(sa.select(Resident)):
        number = decrypt(resident.id_number_encrypted)
        info, problem = parse_resident_id(number)
        assert problem is None, number
        assert info.birth_date == resident.birth_date and info.gender == resident.gender
        assert resident.masked_id_number.endswith(number[-4:]) and resident.id_number_index == blind_index(number)


def test_demo_people_and_needs_look_like_a_real_district(app, seeded):
    ages = [r.age_on(today()) for r in db.session.scalars(sa.select(Resident))]
    assert sum(age >= 60 for age in ages) > 0.4 * len(ages)      # skewed elderly
    tags = Counter(db.session.scalars(sa.select(ResidentTag.tag)))
    assert all(tags[tag] > 0 for tag in VulnerableTag)
    needs = db.session.scalars(sa.select(Need).where(Need.channel != NeedChannel.paper_record)).all()
    urgency = Counter(n.urgency for n in needs)
    assert urgency[1] + urgency[2] > 0.6 * len(needs) and 0.04 * len(needs) < urgency[4] < 0.2 * len(needs)
    status = Counter(n.status for n in needs)
    assert status[NeedStatus.open] > 0.4 * len(needs)
    assert all(status[s] > 0 for s in (NeedStatus.submitted, NeedStatus.matched, NeedStatus.delivered,
                                       NeedStatus.closed))
    assert all(n.feedback is not None for n in needs if n.status == NeedStatus.closed)
    assert len({n.category.sector.code for n in needs}) >= 10
    skilled = Counter(len(v.skills) for v in db.session.scalars(sa.select(Volunteer)))
    assert skilled[1] > skilled[3] > skilled[5]                  # long-tailed


def test_demo_shifts_fill_the_coming_week(app, seeded):
    week = db.session.scalars(sa.select(Shift).where(
        Shift.start > now(), Shift.start < now() + timedelta(days=8))).all()
    assert len(week) >= 20
    # Some shifts are full, with a waiting list; a shift is staffed once it holds its minimum (the rule of
    # the places service, which the seed signs volunteers up through).
    holding = {s.id: sum(u.status == SignUpStatus.assigned for u in s.sign_ups) for s in week}
    # A place offered from the waiting list is taken too (held for the one it is offered to).
    taken = {s.id: holding[s.id] + sum(u.status == SignUpStatus.offered for u in s.sign_ups) for s in week}
    waiting = [s for s in week if any(u.status == SignUpStatus.waitlisted for u in s.sign_ups)]
    # Full shifts with a waiting list; a place freed later stays free while nobody waiting may take it (a minor
    # without a guardian's consent, a day away …), so not every waiting list sits behind a full shift.
    assert len([s for s in waiting if taken[s.id] == s.capacity]) >= 2
    for shift in week:
        assert taken[shift.id] <= shift.capacity
        assert (shift.status == ShiftStatus.staffed) == (holding[shift.id] >= shift.min_volunteers)
    volunteer = db.session.scalar(sa.select(Volunteer).join(User).where(User.username == "volunteer"))
    mine = Counter(db.session.scalars(sa.select(SignUp.status).where(SignUp.volunteer_id == volunteer.id)))

    assert mine[SignUpStatus.assigned] >= 1
    # A full shift gave up a place: it is offered to the demo volunteer, first on its waiting list, and
    # others still wait behind.
    [offer] = db.session.scalars(sa.select(SignUp).where(SignUp.volunteer_id == volunteer.id,
                                                         SignUp.status == SignUpStatus.offered)).all()
    assert offer.offer_expires_at > now() and offer.shift in waiting
    assert [e.action for e in audit.trail("SignUp", offer.id)][-1] == "signup.offer"
    assert mine[SignUpStatus.checked_out] >= 1


def test_demo_has_a_weekly_series_with_a_date_left_out(app, seeded):
    from linkage.models import ShiftSeries
    from linkage.timeutil import to_local

    [series] = db.session.scalars(sa.select(ShiftSeries)).all()
    days = [to_local(shift.start).date() for shift in series.shifts]
    assert len(days) == 5 and all(day.isoweekday() == 2 and day > today() for day in days)
    assert series.skipped == [(days[0] + timedelta(days=14)).isoformat()]
    assert days == [days[0] + timedelta(days=7 * n) for n in (0, 1, 3, 4, 5)]
    community = db.session.scalar(sa.select(User).where(User.username == "community"))
    assert all(shift.created_by_id == community.id and shift.status == ShiftStatus.open for shift in series.shifts)


def test_every_seeded_place_passes_the_eligibility_rule(app, seeded):
    """The seed writes sign-ups in bulk, not through the places service: the rule must still hold."""
    from linkage.shifts import eligibility

    with app.test_request_context():
        upcoming = db.session.scalars(sa.select(SignUp).join(Shift).where(
            Shift.start > now(), SignUp.status == SignUpStatus.assigned)).all()
        assert len(upcoming) > 50
        refused = [(s.volunteer.name, s.shift.title, eligibility.check(s.volunteer, s.shift, now=now()))
                   for s in upcoming]
    assert [r for r in refused if r[2] is not None] == []


def test_seeding_twice_adds_nothing(app, seeded):
    before = counts()
    created, logins = seed_demo()
    db.session.commit()
    assert not created and logins == seeded
    assert counts() == before
    assert count(AuditEvent, AuditEvent.action == "seed.demo") == 1
    assert verify_chain()[1] is None


def test_every_demo_log_in_authenticates(app, seeded):
    assert [username for _, username in seeded] == list(DEMO_ROLES)
    for _, username in seeded:
        user = authenticate(username, DEMO_PASSWORD)
        assert user is not None and user.role == DEMO_ROLES[username] and user.is_verified, username
        if user.role != Role.admin:
            assert user.region is not None
    assert authenticate("civil", "wrong-password") is None
    worker = db.session.scalar(sa.select(SocialWorker).join(User).where(User.username == "worker"))
    supervisor = db.session.scalar(sa.select(SocialWorker).join(User).where(User.username == "supervisor"))
    orgadmin = db.session.scalar(sa.select(User).where(User.username == "orgadmin"))
    assert worker.organization_id == orgadmin.organization_id == supervisor.organization_id
    assert supervisor.level.value > worker.level.value
    assert db.session.scalar(sa.select(Resident).join(User, Resident.user_id == User.id)
                             .where(User.username == "resident")) is not None
    grid = db.session.scalar(sa.select(User).where(User.username == "grid"))
    assert grid.region.level == RegionLevel.grid


def test_taken_usernames_are_not_overwritten(app):
    from tests.factories import make_user

    make_user("admin", Role.admin)
    created, logins = seed_demo()
    db.session.commit()
    assert dict((u, label) for label, u in logins).get("demo-admin") == "administrator"
    assert authenticate("demo-admin", DEMO_PASSWORD) is not None
    assert seed_demo() == (False, logins)


def test_scale_multiplies_people_not_regions(app):
    seed_demo(scale=2, random_seed=7)
    db.session.commit()
    assert count(Region, Region.level == RegionLevel.community) == 12
    assert (count(Resident), count(Need, Need.status != NeedStatus.merged, Need.channel != NeedChannel.paper_record),
            count(Volunteer), count(SocialWorker), count(Organization)) == (1000, 600, 1600, 120, 40)
    codes = list(db.session.scalars(sa.select(Organization.credit_code)))
    assert len(set(codes)) == len(codes) and all(credit_code_problem(c) is None for c in codes)


def test_any_seed_builds_a_consistent_district_and_the_same_seed_the_same_district(app):
    """Whatever the random seed (three of them), every constraint holds (nothing is committed between seeds);
    seeding with the first seed again gives the same district, and another seed a different one."""
    def sample():
        return (list(db.session.scalars(sa.select(Resident.name).order_by(Resident.id))),
                list(db.session.scalars(sa.select(Need.title).order_by(Need.id))),
                list(db.session.scalars(sa.select(Organization.credit_code).order_by(Organization.id))))

    samples = []
    for random_seed in (1, 2, 3, 1):
        created, _ = seed_demo(random_seed=random_seed)
        assert created and count(Resident) == 500
        signed = db.session.execute(sa.select(SignUp.shift_id, SignUp.volunteer_id)).all()
        assert len(signed) == len(set(signed))
        samples.append(sample())
        db.session.rollback()
    assert samples[-1] == samples[0]
    assert samples[1] != samples[0]


def test_taxonomy_codes_are_unique_and_fit_the_columns():
    for codes in ([code for code, *_ in iter_categories()], [code for code, *_ in SKILLS]):
        assert len(codes) == len(set(codes))
        assert max(len(code) for code in codes) <= 64
    assert max(len(name) for _, _, _, name, name_en in iter_categories() for name in (name, name_en)) <= 100


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_sector_and_category_names_are_unique_in_each_language(app, locale):
    """A category list (needs, projects, filters) never shows the same name twice."""
    categories, skills = install_taxonomy()
    db.session.commit()
    names = [c.display_name(locale) for c in db.session.scalars(sa.select(Category))]
    assert len(names) == len(categories)
    assert [name for name, n in Counter(names).items() if n > 1] == []
    skill_names = [s.display_name(locale) for s in skills.values()]
    assert [name for name, n in Counter(skill_names).items() if n > 1] == []


# Who may take each step of a need's history, and the statuses it leads from and to.
NEED_STEPS = {
    "need.submit": ({Role.resident, Role.grid_worker, Role.community_staff}, None, NeedStatus.submitted),
    "need.verify": ({Role.community_staff}, NeedStatus.submitted, NeedStatus.open),
    "need.reject": ({Role.community_staff}, NeedStatus.submitted, NeedStatus.rejected),
    "need.withdraw": ({Role.resident, Role.community_staff}, NeedStatus.submitted, NeedStatus.withdrawn),
    "need.deliver": ({Role.community_staff}, NeedStatus.open, NeedStatus.delivered),
    "need.rate": ({Role.resident, Role.community_staff}, NeedStatus.delivered, NeedStatus.closed),
    # Taken up by a project's award or a case (matched, or already in service), or left to expire.
    "need.match": ({Role.civil_affairs}, NeedStatus.open, (NeedStatus.matched, NeedStatus.in_service)),
    "need.assign_case": ({Role.civil_affairs}, NeedStatus.open,
                         (NeedStatus.open, NeedStatus.matched, NeedStatus.in_service)),
    "need.expire": ({None}, NeedStatus.open, NeedStatus.expired),
    # Past the response target with no answer: flagged to the community, then escalated to the street.
    "need.flag_overdue": ({None}, NeedStatus.submitted, NeedStatus.submitted),
    "need.escalate": ({None}, NeedStatus.submitted, NeedStatus.submitted),
    # A second report of the same need, merged into the first by the community (which absorbs it).
    "need.merge": ({Role.community_staff}, NeedStatus.submitted, NeedStatus.merged),
    "need.absorb": ({Role.community_staff}, None, None),   # its status stays as it was
}


def test_every_seeded_need_has_a_trail_from_its_report_to_its_status(app, seeded):
    needs = db.session.scalars(sa.select(Need).where(Need.channel != NeedChannel.paper_record)
                               .order_by(Need.id)).all()
    assert len([n for n in needs if n.status != NeedStatus.merged]) == 300   # and the one merged into another
    for need in needs:
        trail = audit.trail("Need", need.id)
        assert trail[0].action == "need.submit" and trail[0].actor_id == need.created_by_id, need.id
        assert trail[0].at == need.created_at
        status, previous = None, trail[0].at
        for event in trail:
            roles, before, after = NEED_STEPS[event.action]
            role = event.actor.role if event.actor else None
            assert role in roles, (need.id, event.action, role)
            if role == Role.community_staff:
                assert event.actor.region.contains(need.region)
            if role == Role.resident:
                assert event.actor_id == need.resident.user_id
            if after is None:
                assert previous <= event.at < now() - timedelta(minutes=30)
                previous = event.at
                continue
            assert (event.before or {}).get("status") == (before and status), (need.id, event.action)
            afters = after if isinstance(after, tuple) else (after,)
            assert event.after["status"] in {a.value for a in afters}, (need.id, event.action)
            assert previous <= event.at < now() - timedelta(minutes=30)
            status, previous = event.after["status"], event.at
        stamps = {"need.verify": need.verified_at, "need.deliver": need.delivered_at,
                  "need.rate": need.closed_at, "need.reject": need.closed_at, "need.withdraw": need.closed_at}
        assert all(event.at == stamps[event.action] for event in trail[1:] if event.action in stamps), need.id
        assert status == need.status.value, need.id  # the trail reaches the need's status
        if need.status in (NeedStatus.delivered, NeedStatus.closed):
            assert need.is_served
    statuses = Counter(need.status for need in needs)
    assert all(statuses[s] > 0 for s in (NeedStatus.rejected, NeedStatus.withdrawn, NeedStatus.delivered))


def test_seeded_history_is_written_in_the_order_it_happened(app, seeded):
    count_checked, broken = verify_chain()
    assert broken is None and count_checked == count(AuditEvent)
    moments = list(db.session.scalars(sa.select(AuditEvent.at).order_by(AuditEvent.id)))
    assert len(moments) > 900 and moments == sorted(moments)
    assert moments[0] < now() - timedelta(days=60)
    ratings = db.session.scalars(sa.select(Feedback).join(Need)).all()
    assert ratings and all(f.created_at == f.need.closed_at for f in ratings)


def test_the_demo_has_years_of_past_paper_records_with_a_season(app, seeded):
    """The communities' ledgers from before the platform: one import (one audit event) per community, nearly
    three years of monthly needs before the platform's first, with the elderly's winter peak."""
    from linkage.forecast.queries import month_index
    from linkage.timeutil import to_local

    paper = db.session.scalars(sa.select(Need).where(Need.channel == NeedChannel.paper_record)).all()
    imports = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "need.import_paper_records")).all()
    communities = db.session.scalars(sa.select(Region).where(Region.level == RegionLevel.community)).all()
    assert len(imports) == len(communities) and sum(e.after["count"] for e in imports) == len(paper)
    platform_first = db.session.scalar(sa.select(sa.func.min(Need.created_at)).where(
        Need.channel != NeedChannel.paper_record))
    assert all(e.at < platform_first for e in imports) and all(n.created_at < min(e.at for e in imports) for n in paper)
    months = Counter(month_index(to_local(n.created_at).date()) for n in paper)
    assert len(months) >= 30 and len(paper) > 2000
    assert {n.status for n in paper} == {NeedStatus.closed} and all(n.feedback is None for n in paper)
    elderly = Counter(to_local(n.created_at).month for n in paper if n.category.sector.code == "elderly")
    assert elderly[1] > 1.4 * elderly[7]   # winter peak, summer trough
    assert all(sum(1 for n in paper if n.region.ancestor_at(RegionLevel.community) == c or n.region == c) > 24
               for c in communities)


def test_a_seeded_need_page_shows_its_history_in_chinese(app, client, seeded):
    from flask_babel import force_locale, format_datetime

    from linkage.needs.queries import trail_label

    staff = db.session.scalar(sa.select(User).where(User.username == "community"))
    need = db.session.scalars(sa.select(Need).where(
        Need.status == NeedStatus.closed, Need.channel != NeedChannel.paper_record,
        Region.subtree_clause(Need.region_id, staff.region))
        .order_by(Need.id)).first()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN,zh;q=0.9"
    assert client.post("/auth/login", data={"username": "community", "password": DEMO_PASSWORD}).status_code == 302
    page = client.get(f"/community/needs/{need.id}").get_data(as_text=True)
    trail = audit.trail("Need", need.id)
    # Taken up (matched) by a project or a social worker's case before it was delivered.
    assert [e.action for e in trail[:2]] == ["need.submit", "need.verify"]
    assert trail[2].action in ("need.match", "need.assign_case") and trail[2].after["status"] == "matched"
    assert [e.action for e in trail[3:]] == ["need.deliver", "need.rate"]
    with app.test_request_context(), force_locale("zh_CN"):
        shown = [(str(trail_label(e)), format_datetime(e.at, "short"), e.actor.display_name) for e in trail]
    history = page[page.index("状态记录"):]
    position = 0
    for label, when, who in shown:
        assert all("\u4e00" <= ch <= "\u9fff" for ch in label), label
        for text in (label, when, who):
            position = history.index(text, position)
    # The service was reported days before it was delivered and rated, all in the past.
    assert trail[0].at < trail[-2].at < trail[-1].at < now() - timedelta(hours=1)


def test_every_seeded_shift_and_sign_up_has_its_history(app, seeded):
    shifts = db.session.scalars(sa.select(Shift)).all()
    assert len(shifts) >= 30
    for shift in shifts:
        trail = audit.trail("Shift", shift.id)
        assert trail[0].action == "shift.create" and trail[0].actor_id == shift.created_by_id
        assert trail[0].at == shift.created_at < shift.start
        if shift.status == ShiftStatus.done:
            assert trail[-1].action == "shift.close" and trail[-1].actor_id == shift.created_by_id
            assert shift.end < trail[-1].at < now()
    sign_ups = db.session.scalars(sa.select(SignUp)).all()
    attended = [u for u in sign_ups if u.status == SignUpStatus.checked_out]
    assert len(attended) > 30 and any(u.checkout_defaulted for u in attended)
    for record in sign_ups:
        trail = audit.trail("SignUp", record.id)
        first = trail[0]
        assert first.at == record.created_at < record.shift.start
        if first.action == "signup.assign":  # placed by the seeded match run when civil affairs approved it
            run = db.session.get(MatchRun, first.after["match_run_id"])
            assert run.status == MatchStatus.approved and first.actor_id == run.decided_by_id
            assert first.at == run.decided_at
        else:
            assert first.action == "signup.create"
            assert first.actor_id == record.volunteer.user_id or (
                first.actor.role == Role.community_staff and first.actor.region_id == record.shift.region_id)
        actions = {event.action: event for event in trail}
        if record.status == SignUpStatus.checked_out:
            assert actions["signup.check_in"].at == record.checked_in_at
            assert actions["signup.check_out"].after["checked_out_at"] == record.checked_out_at.isoformat()
            assert {actions["signup.check_in"].actor_id, actions["signup.check_out"].actor_id} == {
                record.shift.created_by_id}
        if record.hours_decided_at is not None and record.hours_status.value == "approved":
            assert actions["signup.hours_approve"].at == record.hours_decided_at > record.shift.end


def test_every_seeded_social_worker_was_added_by_their_organization(app, seeded):
    workers = db.session.scalars(sa.select(SocialWorker)).all()
    assert any(not w.active for w in workers)
    for worker in workers:
        trail = audit.trail("SocialWorker", worker.id)
        assert trail[0].action == "social_worker.add" and trail[0].at == worker.created_at < now()
        assert trail[0].actor.role == Role.org_admin
        assert trail[0].actor.organization_id == worker.organization_id
        # The colleague a demo case is referred to was given a log-in by the organization's admin.
        given_login = ["social_worker.login"] if any(e.action == "social_worker.login" for e in trail) else []
        assert [e.action for e in trail[1:]] == given_login + ([] if worker.active else ["social_worker.deactivate"])


def test_every_seeded_organization_was_verified_by_civil_affairs(app, seeded):
    for org in db.session.scalars(sa.select(Organization)):
        trail = audit.trail("Organization", org.id)
        if org.status == OrgStatus.registered:
            assert trail == [] and org.verified_at is None
            continue
        verify = trail[0]
        assert verify.action == "organization.verify" and verify.at == org.verified_at < now()
        assert verify.actor.role == Role.civil_affairs and verify.actor.region.contains(org.region)
        assert verify.before["status"] == "registered" and verify.after["status"] == "active"
        if org.status == OrgStatus.blacklisted:
            assert [e.action for e in trail[1:]] == ["organization.blacklist"]
            assert trail[1].note == org.status_reason and trail[1].at > verify.at
        else:
            assert trail[1:] == [] and org.status == OrgStatus.active


def test_the_demo_worker_shows_a_check_in_code_and_the_demo_volunteer_has_a_calendar(app, client, seeded):
    """At the site: the demo lead social worker opens the QR page of a shift they lead today or tomorrow; the
    demo volunteer's profile shows their calendar link, whose feed lists their shifts."""
    import re

    import icalendar

    from linkage.timeutil import local_day_start

    worker = db.session.scalar(sa.select(SocialWorker).join(User, User.id == SocialWorker.user_id)
                               .where(User.username == "worker"))
    soon = db.session.scalars(sa.select(Shift).where(
        Shift.lead_id == worker.id, Shift.start >= local_day_start(today()),
        Shift.start < local_day_start(today() + timedelta(days=2)), Shift.status.in_(
            (ShiftStatus.open, ShiftStatus.staffed)))).first()
    assert soon is not None
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN,zh;q=0.9"
    assert client.post("/auth/login", data={"username": "worker", "password": DEMO_PASSWORD}).status_code == 302
    assert "出示签到码" in client.get(f"/shifts/{soon.id}").get_data(as_text=True)
    page = client.get(f"/shifts/{soon.id}/code/in").get_data(as_text=True)
    assert "<svg" in page and "签到码" in page
    client.post("/auth/logout")
    assert client.post("/auth/login", data={"username": "volunteer", "password": DEMO_PASSWORD}).status_code == 302
    profile = client.get("/volunteers/profile").get_data(as_text=True)
    assert "我的日历" in profile
    url = re.search(r'value="(http[^"]+\.ics)"', profile).group(1)
    client.post("/auth/logout")
    feed = client.get(url.replace("http://localhost", ""))
    assert feed.status_code == 200
    assert len(icalendar.Calendar.from_ical(feed.data).walk("VEVENT")) >= 1


def test_the_demo_social_worker_has_cases_in_several_stages_a_request_and_tasks(app, seeded):
    from linkage.cases import queries as case_queries
    from linkage.models import Case, CaseStage, CaseStatus, Decision

    worker = db.session.scalar(sa.select(SocialWorker).join(User).where(User.username == "worker"))
    supervisor = db.session.scalar(sa.select(SocialWorker).join(User).where(User.username == "supervisor"))
    cases = db.session.scalars(sa.select(Case).where(Case.owner_id == worker.id)).all()
    assert {c.stage for c in cases} >= {CaseStage.intake, CaseStage.assessment, CaseStage.services,
                                        CaseStage.closure}
    assert any(c.status == CaseStatus.closed for c in cases)
    waiting = case_queries.approvals_waiting_for(supervisor)
    assert [a.decision for a in waiting] == [Decision.pending] and waiting[0].case.owner_id == worker.id
    tasks = case_queries.tasks_for(worker)
    assert tasks and any(t.overdue for t in tasks)
    assert case_queries.overdue_for_supervisor(supervisor)
    assert case_queries.stale_referrals([worker.id])
    for case in cases:
        trail = audit.trail("Case", case.id)
        assert trail[0].action == "case.open" and trail[0].at == case.opened_at


def test_a_demo_case_has_an_encrypted_document_and_a_service_with_its_volunteers(app, seeded):
    from linkage.cases import services as case_services
    from linkage.models import Case, CaseDocument, CaseService, HOLDING_STATUSES, SignUp

    document = db.session.scalar(sa.select(CaseDocument))
    case = db.session.get(Case, document.case_id)
    owner = db.session.get(User, case.owner.user_id)
    found, content = case_services.read_document(case, document.id, actor=owner)
    assert found.id == document.id and content.startswith(b"%PDF-")
    with open(os.path.join(app.instance_path, "uploads", "cases", document.stored_name), "rb") as handle:
        assert b"%PDF" not in handle.read()
    helped = [s for s in db.session.scalars(sa.select(CaseService)) if s.volunteers]
    assert helped
    for service in helped:
        holders = set(db.session.scalars(sa.select(SignUp.volunteer_id).where(
            SignUp.shift_id == service.shift_id, SignUp.status.in_(HOLDING_STATUSES))))
        assert {v.id for v in service.volunteers} <= holders
