"""The remaining long lists share the search box and filter bar: cases, hours to approve, an organization's bids,
notifications and a volunteer's hours. Each filter narrows to exactly the expected rows, the search finds
Chinese text, a filter never widens what the role sees, the pages keep the filters, and a value the list does not
know is left out with a message, never a 500."""
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from linkage import notifications
from linkage.extensions import db
from linkage.models import (BidStatus, Case, CaseStage, CaseStatus, HoursStatus, Notification, ProjectStatus,
                            SignUp, SignUpStatus)
from linkage.models.types import utcnow
from linkage.timeutil import to_local
from tests.factories import make_bid, make_org, make_project, make_resident, make_shift, make_volunteer, now
from tests.web.test_cases_support import case_people

IGNORED = "Not a valid choice; this filter was ignored."
NO_MATCH = "No results match these filters."


def _bad_values_are_ignored(client, path, **bad):
    """A filter value the list does not know: the page answers with the message on the field and the list
    as if the filter were not set."""
    unfiltered = client.get(path)
    assert unfiltered.status_code == 200
    page = client.get(path, query_string={**bad, "page": "abc"})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "is-invalid" in text and IGNORED in text
    return unfiltered.get_data(as_text=True), text


# --------------------------------------------------------------------------- cases

def _case(resident, owner, title, status=CaseStatus.open, days_ago=0):
    case = Case(resident=resident, organization_id=owner.organization_id, owner=owner, region_id=resident.region_id,
                title=title, stage=CaseStage.intake, status=status, opened_at=now() - timedelta(days=days_ago))
    db.session.add(case)
    db.session.flush()
    return case


@pytest.fixture
def cases(world):
    people = case_people(world)
    c1 = world.c1
    rows = {
        "mine_open": _case(make_resident(c1, name="王秀兰"), people.worker, "独居老人探访"),
        "mine_closed": _case(make_resident(c1, name="Sun Li"), people.worker, "Meals at home", CaseStatus.closed),
        "colleague": _case(make_resident(c1, name="周建国"), people.colleague, "康复随访"),
        "senior": _case(make_resident(c1, name="Ma Qiang"), people.senior, "Family mediation"),
        "other_org": _case(make_resident(world.c3, name="王秀英"), people.worker2, "独居老人探访 二"),
    }
    db.session.commit()
    return people, rows


def test_a_social_workers_cases_are_searched_by_title_or_resident_and_filtered_by_status(client, auth, world,
                                                                                         cases):
    _people, rows = cases
    auth.login("worker")
    page = client.get("/cases/", query_string={"q": "王秀"}).get_data(as_text=True)
    assert rows["mine_open"].title in page   # found by the resident's name
    assert "独居老人探访 二" not in page and "Family mediation" not in page   # never another's case
    page = client.get("/cases/", query_string={"q": "老人探访"}).get_data(as_text=True)
    assert "独居老人探访" in page and "独居老人探访 二" not in page
    page = client.get("/cases/", query_string={"status": "closed"}).get_data(as_text=True)
    assert "Meals at home" in page and "独居老人探访" not in page and "1 in all" in page
    page = client.get("/cases/", query_string={"q": "Meals", "status": "open"}).get_data(as_text=True)
    assert NO_MATCH in page and "Meals at home" not in page


def test_a_supervisor_filters_by_a_worker_they_supervise_and_no_one_else(client, auth, world, cases):
    people, rows = cases
    auth.login("senior")
    own = client.get("/cases/").get_data(as_text=True)
    assert "Family mediation" in own and "康复随访" not in own
    assert ">Zhou Min<" in own and ">Zhang Wei<" not in own   # the choices: those they supervise
    theirs = client.get("/cases/", query_string={"worker": people.colleague.id}).get_data(as_text=True)
    assert "康复随访" in theirs and "Family mediation" not in theirs and "独居老人探访" not in theirs
    assert "Cases of Zhou Min" in theirs
    # a social worker of another organization is no choice: the filter is ignored, the supervisor's own cases shown
    outside = client.get("/cases/", query_string={"worker": people.worker2.id}).get_data(as_text=True)
    assert IGNORED in outside and "独居老人探访 二" not in outside and "Family mediation" in outside
    # a social worker without anyone to supervise has no such choice either
    auth.logout()
    auth.login("worker")
    page = client.get("/cases/", query_string={"worker": people.colleague.id}).get_data(as_text=True)
    assert "康复随访" not in page and "独居老人探访" in page


def test_the_organizations_cases_filter_by_worker_status_and_search(client, auth, world, cases):
    people, rows = cases
    auth.login("orgadmin")
    page = client.get("/cases/", query_string={"worker": people.colleague.id}).get_data(as_text=True)
    assert "康复随访" in page and "独居老人探访" not in page and "Family mediation" not in page
    page = client.get("/cases/", query_string={"q": "王秀"}).get_data(as_text=True)
    assert "独居老人探访" in page and "独居老人探访 二" not in page   # organization 2's case stays out
    page = client.get("/cases/", query_string={"status": "closed"}).get_data(as_text=True)
    assert "Meals at home" in page and "康复随访" not in page
    _plain, bad = _bad_values_are_ignored(client, "/cases/", status="nonsense", worker=people.worker2.id)
    assert "康复随访" in bad and "独居老人探访 二" not in bad


def test_the_case_list_pages_keep_the_filters(client, auth, world, app):
    people = case_people(world)
    for n in range(4):
        _case(make_resident(world.c1, name=f"Resident {n}"), people.worker, f"长者照护 {n}", days_ago=n)
    _case(make_resident(world.c1, name="Someone"), people.worker, "Other work")
    db.session.commit()
    app.config["PER_PAGE"] = 2
    auth.login("worker")
    first = client.get("/cases/", query_string={"q": "长者"}).get_data(as_text=True)
    assert "4 in all" in first and "q=%E9%95%BF%E8%80%85" in first and "page=2" in first
    second = client.get("/cases/", query_string={"q": "长者", "page": 2}).get_data(as_text=True)
    assert "长者照护 2" in second and "长者照护 3" in second and "Other work" not in second


# --------------------------------------------------------------------------- hours to approve

def _pending(shift, volunteer, minutes=120, status=HoursStatus.pending):
    record = SignUp(shift=shift, volunteer=volunteer, status=SignUpStatus.checked_out, minutes=minutes,
                    hours_status=status)
    db.session.add(record)
    return record


@pytest.fixture
def hours(world):
    other = make_volunteer(world.c1, name="李明")
    led_old = make_shift(world.c1, lead=world.worker, start=now() - timedelta(days=20), title="敬老院探访")
    led_new = make_shift(world.c1, lead=world.worker, start=now() - timedelta(days=2), title="Park clean-up")
    elsewhere = make_shift(world.c3, lead=world.worker2, start=now() - timedelta(days=2), title="River walk")
    _pending(led_old, world.volunteer)
    _pending(led_new, other)
    _pending(led_new, world.volunteer, status=HoursStatus.approved)
    _pending(elsewhere, world.volunteer)
    db.session.commit()
    return led_old, led_new, elsewhere


def test_hours_to_approve_lists_only_pending_hours_on_the_readers_shifts(client, auth, world, hours):
    auth.login("worker")
    page = client.get("/shifts/hours").get_data(as_text=True)
    assert "敬老院探访" in page and "Park clean-up" in page and "River walk" not in page and "2 in all" in page
    page = client.get("/shifts/hours", query_string={"q": "李明"}).get_data(as_text=True)
    assert "Park clean-up" in page and "敬老院探访" not in page and "1 in all" in page
    page = client.get("/shifts/hours", query_string={"q": "敬老院"}).get_data(as_text=True)
    assert "敬老院探访" in page and "Park clean-up" not in page
    auth.logout()
    auth.login("worker2")
    page = client.get("/shifts/hours", query_string={"q": "敬老院"}).get_data(as_text=True)
    assert NO_MATCH in page and "敬老院探访" not in page
    auth.logout()
    auth.login("staff1")   # community staff keep the shifts of their community
    page = client.get("/shifts/hours").get_data(as_text=True)
    assert "敬老院探访" in page and "Park clean-up" in page and "River walk" not in page


def test_hours_to_approve_filter_by_the_days_the_shifts_started(client, auth, world, hours):
    led_old, led_new, _elsewhere = hours
    auth.login("worker")
    day = to_local(led_new.start - timedelta(days=1)).date()
    recent = client.get("/shifts/hours", query_string={"since": day.isoformat()}).get_data(as_text=True)
    assert "Park clean-up" in recent and "敬老院探访" not in recent
    earlier = client.get("/shifts/hours", query_string={"until": day.isoformat()}).get_data(as_text=True)
    assert "敬老院探访" in earlier and "Park clean-up" not in earlier
    _plain, bad = _bad_values_are_ignored(client, "/shifts/hours", since="not a day")
    assert "敬老院探访" in bad and "Park clean-up" in bad


def test_the_runnable_shifts_condition_agrees_with_can_run(app, world, hours):
    import sqlalchemy as sa
    from linkage.models import Shift
    from linkage.shifts.access import can_run, runnable_shifts
    shifts = db.session.scalars(sa.select(Shift)).all()
    for username in ("worker", "worker2", "orgadmin", "staff1", "staff3", "admin", "civil", "vol"):
        user = world[username]
        listed = set(db.session.scalars(sa.select(Shift.id).where(runnable_shifts(user))))
        assert listed == {s.id for s in shifts if can_run(user, s)}, username


# --------------------------------------------------------------------------- bids

@pytest.fixture
def bids(world):
    sealed = make_project(world.street1, title="社区养老服务项目")
    done = make_project(world.street1, title="Youth tutoring", status=ProjectStatus.in_progress,
                        deadline=now() - timedelta(days=40))
    other = make_project(world.street2, title="河滨清洁项目")
    make_bid(sealed, world.org1, price=123456)
    make_bid(done, world.org1, status=BidStatus.won, price=222000)
    make_bid(other, world.org2)
    db.session.commit()
    return sealed, done, other


def test_an_organizations_own_bids_are_searched_and_filtered_by_status(client, auth, world, bids):
    auth.login("orgadmin")
    page = client.get("/organizations/mine", query_string={"q": "养老"}).get_data(as_text=True)
    assert "社区养老服务项目" in page and "Youth tutoring" not in page and "河滨清洁项目" not in page
    page = client.get("/organizations/mine", query_string={"status": "won"}).get_data(as_text=True)
    assert "Youth tutoring" in page and "社区养老服务项目" not in page
    page = client.get("/organizations/mine", query_string={"q": "河滨"}).get_data(as_text=True)
    assert NO_MATCH in page and "河滨清洁项目" not in page   # another organization's bid never shows
    _plain, bad = _bad_values_are_ignored(client, "/organizations/mine", status="nonsense")
    assert "社区养老服务项目" in bad and "Youth tutoring" in bad


def test_civil_affairs_filter_an_organizations_bids_and_sealed_prices_stay_sealed(client, auth, world, bids):
    auth.login("civil")
    path = f"/organizations/{world.org1.id}"
    page = client.get(path, query_string={"status": "submitted"}).get_data(as_text=True)
    assert "社区养老服务项目" in page and "Youth tutoring" not in page
    assert "123,456" not in page and "123456" not in page and "Sealed" in page
    page = client.get(path, query_string={"q": "tutoring"}).get_data(as_text=True)
    assert "Youth tutoring" in page and "社区养老服务项目" not in page
    # a search for the sealed price finds nothing: bids are never searched by what the rules hide
    page = client.get(path, query_string={"q": "123456"}).get_data(as_text=True)
    assert NO_MATCH in page
    auth.logout()
    auth.login("civil2")   # street 2's civil affairs may not read organization 1's bids on street 1's projects
    assert "社区养老服务项目" not in client.get(path).get_data(as_text=True)


def test_civil_affairs_filter_a_projects_bids_by_organization_and_status_while_prices_stay_sealed(client, auth,
                                                                                                  world):
    project = make_project(world.street1, title="社区养老服务项目")   # bidding open: every price sealed
    third = make_org("阳光社工服务社", world.street1)
    make_bid(project, world.org1, price=123456)
    make_bid(project, world.org2, price=234567, status=BidStatus.withdrawn)
    make_bid(project, third, price=345678)
    db.session.commit()
    auth.login("civil")
    path = f"/projects/{project.id}"
    page = client.get(path, query_string={"q": "阳光"}).get_data(as_text=True)
    assert "阳光社工服务社" in page and "Sunshine Social Work Center" not in page and "Harmony" not in page
    page = client.get(path, query_string={"status": "withdrawn"}).get_data(as_text=True)
    assert "Harmony Community Services" in page and "阳光社工服务社" not in page
    for price in ("123,456", "234,567", "345,678", "123456"):
        assert price not in page
    page = client.get(path, query_string={"q": "123456"}).get_data(as_text=True)
    assert NO_MATCH in page   # never found by the sealed price
    _plain, bad = _bad_values_are_ignored(client, path, status="nonsense")
    assert "阳光社工服务社" in bad and "Harmony Community Services" in bad
    auth.logout()
    auth.login("orgadmin")   # an organization sees only its own bid, whatever it asks for
    page = client.get(path, query_string={"q": "阳光"}).get_data(as_text=True)
    assert "阳光社工服务社" not in page and 'role="search"' not in page


# --------------------------------------------------------------------------- notifications

@pytest.fixture
def inbox(world):
    user = world["vol"]
    read = utcnow() - timedelta(hours=1)
    rows = [
        Notification(user_id=user.id, kind="shift_assigned", params={"title": "敬老院探访", "start": utcnow().isoformat()},
                     read_at=read),
        Notification(user_id=user.id, kind="hours_approved", params={"hours": 2, "title": "Park clean-up"}),
        Notification(user_id=user.id, kind="hours_declined", params={"title": "敬老院探访", "reason": "迟到"}),
        Notification(user_id=world["vol3"].id, kind="hours_approved", params={"hours": 3, "title": "敬老院探访"}),
    ]
    db.session.add_all(rows)
    db.session.commit()
    return rows


def test_notifications_filter_unread_kind_and_search_the_shown_words(client, auth, world, inbox):
    auth.login("vol")
    unread = client.get("/notifications", query_string={"show": "unread"}).get_data(as_text=True)
    assert "Park clean-up" in unread and "迟到" in unread and "2 in all" in unread
    shifts = client.get("/notifications", query_string={"kind": "shifts"}).get_data(as_text=True)
    assert "You have a place on" in shifts and "Park clean-up" not in shifts and "1 in all" in shifts
    found = client.get("/notifications", query_string={"q": "敬老院"}).get_data(as_text=True)
    assert "2 in all" in found and "Park clean-up" not in found   # never another's notification
    both = client.get("/notifications", query_string={"q": "敬老院", "show": "unread"}).get_data(as_text=True)
    assert "迟到" in both and "1 in all" in both
    worded = client.get("/notifications", query_string={"q": "were CONFIRMED"}).get_data(as_text=True)
    assert "Park clean-up" in worded and "1 in all" in worded   # the message's words as shown, any case
    none = client.get("/notifications", query_string={"q": "%"}).get_data(as_text=True)
    assert NO_MATCH in none
    _plain, bad = _bad_values_are_ignored(client, "/notifications", show="everything", kind="codes")
    assert "Park clean-up" in bad and "迟到" in bad


def _unread_kinds(user) -> list[str]:
    return sorted(db.session.scalars(sa.select(Notification.kind).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))))


def test_mark_all_as_read_marks_what_the_filters_show(client, auth, world, inbox):
    auth.login("vol")
    page = client.get("/notifications", query_string={"kind": "hours", "q": "park"}).get_data(as_text=True)
    assert "Mark all found as read" in page and "Mark all as read" not in page
    response = client.post("/notifications/read", query_string={"kind": "hours", "q": "park"})
    assert response.status_code == 302 and "kind=hours" in response.location and "q=park" in response.location
    assert _unread_kinds(world["vol"]) == ["hours_declined"]   # the other notification about hours stays unread
    assert _unread_kinds(world["vol3"]) == ["hours_approved"]  # never another's
    chinese = client.get("/notifications", query_string={"show": "unread"},
                         headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "将筛选出的通知全部标为已读" in chinese
    page = client.get("/notifications").get_data(as_text=True)
    assert "Mark all as read" in page and "Mark all found as read" not in page
    client.post("/notifications/read")
    assert _unread_kinds(world["vol"]) == [] and _unread_kinds(world["vol3"]) == ["hours_approved"]


def test_the_search_finds_the_words_the_reader_reads(app, world, inbox):
    """The query finds exactly the notifications whose message, as shown in the reader's language, holds the
    words (any case): the kind's fixed words, the parameters, the names of what changed on a shift."""
    from flask_babel import force_locale

    user = world["vol"]
    db.session.add_all([
        Notification(user_id=user.id, kind="shift_updated", params={
            "title": "Library reading", "changes": "time,place", "place": "East Hall", "start": utcnow().isoformat(),
            "end": utcnow().isoformat()}),
        Notification(user_id=user.id, kind="hours_approved", params={"hours": 2.5, "title": "50% off_day"}),
        Notification(user_id=user.id, kind="signup_cancelled", params={
            "name": "Zhao Lei", "title": "Library reading", "start": utcnow().isoformat()}),
    ])
    db.session.commit()
    every = db.session.scalars(notifications.select_for(user)).all()
    needles = ("敬老院", "were CONFIRMED", "迟到", "park CLEAN", "%", "50%", "_day", "2.5", "PLACE", "地点",
               "east hall", "library", "zhao", "gave up", "放弃", "已确认", "nothing like this", "Your")
    for locale in ("en", "zh_CN"):
        with app.test_request_context(), force_locale(locale):
            for needle in needles:
                expected = [n.id for n in every if needle.casefold() in notifications.render(n).casefold()]
                found = [n.id for n in db.session.scalars(notifications.select_for(user, text=needle))]
                assert found == expected, (locale, needle)
            unread = db.session.scalars(notifications.select_for(user, unread=True, group="hours", text="敬老院"))
            assert [n.kind for n in unread] == ["hours_declined"]


def _json_lookups(statement) -> dict[str, int]:
    """How many JSON values the statement extracts from a row, as SQLite and PostgreSQL are sent it."""
    from sqlalchemy.dialects import postgresql, sqlite
    return {"sqlite": str(statement.compile(dialect=sqlite.dialect())).count("JSON_EXTRACT("),
            "postgresql": str(statement.compile(dialect=postgresql.dialect())).count("->>")}


def test_the_search_looks_up_only_the_parameters_of_the_kinds_it_looks_at(app, world):
    """Searching one group's notifications extracts only the parameters its messages show, one lookup each
    (and the shift's changes when their names are searched), never every parameter of every message."""
    user = world["vol"]
    every = notifications.searched_params()
    hours = notifications.searched_params(notifications.kinds_in("hours"))
    assert hours == ["hours", "minutes", "percent", "reason", "title"] and len(every) > len(hours) + 5
    with app.test_request_context():
        searched = notifications.select_for(user, group="hours", text="park")
        assert _json_lookups(searched) == {"sqlite": len(hours), "postgresql": len(hours)}
        shifts = len(notifications.searched_params(notifications.kinds_in("shifts")))
        changed = notifications.select_for(user, group="shifts", text="time")   # a change's name: one lookup more
        assert _json_lookups(changed) == {"sqlite": shifts + 1, "postgresql": shifts + 1}
        everywhere = notifications.select_for(user, text="park")   # no group: every kind, every parameter
        assert _json_lookups(everywhere) == {"sqlite": len(every), "postgresql": len(every)}


def test_the_search_takes_percent_and_underscore_as_they_are(app, world):
    user = world["vol"]
    titles = ["100% sure", "100 percent sure", "a_b walk", "axb walk", "aXb walk"]
    rows = [Notification(user_id=user.id, kind="need_verified", params={"title": title}) for title in titles]
    db.session.add_all(rows)
    db.session.commit()
    with app.test_request_context():
        for needle, expected in (("0%", ["100% sure"]), ("0% S", ["100% sure"]), ("a_b", ["a_b walk"]),
                                 ("A_B", ["a_b walk"]), ("%", ["100% sure"]), ("_", ["a_b walk"])):
            for group in (None, "needs"):
                found = db.session.scalars(notifications.select_for(user, group=group, text=needle))
                assert sorted(n.params["title"] for n in found) == expected, (needle, group)


def test_notification_search_pages_keep_the_search(client, auth, world, app):
    user = world["vol"]
    db.session.add_all([Notification(user_id=user.id, kind="hours_approved", params={"hours": n, "title": f"巡逻 {n}"},
                                     created_at=utcnow() - timedelta(minutes=n)) for n in range(30)])
    db.session.commit()
    auth.login("vol")
    first = client.get("/notifications", query_string={"q": "巡逻"}).get_data(as_text=True)
    assert "30 in all" in first and "page=2" in first and "q=%E5%B7%A1%E9%80%BB" in first
    second = client.get("/notifications", query_string={"q": "巡逻", "page": 2}).get_data(as_text=True)
    assert "巡逻 29" in second and "巡逻 0" not in second


def test_every_kind_of_notification_is_in_one_group():
    kinds = [kind for group in notifications.GROUPS for kind in notifications.kinds_in(group)]
    assert sorted(kinds) == sorted({*notifications.MESSAGES, *notifications.RETIRED})


# --------------------------------------------------------------------------- a volunteer's hours

@pytest.fixture
def history(world):
    old = make_shift(world.c1, start=now() - timedelta(days=30), title="敬老院探访")
    recent = make_shift(world.c1, start=now() - timedelta(days=3), title="Park clean-up")
    declined = make_shift(world.c1, start=now() - timedelta(days=10), title="Library help")
    _pending(old, world.volunteer, status=HoursStatus.approved)
    _pending(recent, world.volunteer)
    _pending(declined, world.volunteer, status=HoursStatus.declined)
    _pending(recent, make_volunteer(world.c1, name="Other"), status=HoursStatus.approved)
    db.session.commit()
    return old, recent, declined


def test_a_volunteers_hours_filter_by_status_days_and_shift_title(client, auth, world, history):
    _old, recent, _declined = history
    auth.login("vol")
    page = client.get("/volunteers/hours", query_string={"status": "approved"}).get_data(as_text=True)
    assert "敬老院探访" in page and "Park clean-up" not in page and "Library help" not in page
    assert "1 in all" in page   # the other volunteer's approved hours on the same shift are not theirs
    page = client.get("/volunteers/hours", query_string={"q": "敬老"}).get_data(as_text=True)
    assert "敬老院探访" in page and "Library help" not in page
    since = (date.today() - timedelta(days=15)).isoformat()
    page = client.get("/volunteers/hours", query_string={"since": since}).get_data(as_text=True)
    assert "Park clean-up" in page and "Library help" in page and "敬老院探访" not in page
    page = client.get("/volunteers/hours", query_string={"since": since, "status": "approved"}).get_data(as_text=True)
    assert NO_MATCH in page
    _plain, bad = _bad_values_are_ignored(client, "/volunteers/hours", status="paid", until="31/02/2020")
    assert "敬老院探访" in bad and "Park clean-up" in bad and "Library help" in bad


@pytest.mark.parametrize("login,path", [("worker", "/cases/"), ("orgadmin", "/cases/"), ("worker", "/shifts/hours"),
                                        ("orgadmin", "/organizations/mine"), ("vol", "/notifications"),
                                        ("vol", "/volunteers/hours")])
def test_the_lists_have_the_search_box_in_chinese(client, auth, world, login, path):
    auth.login(login)
    client.post("/auth/language/zh_CN")
    page = client.get(path, query_string={"q": "找不到的东西"}).get_data(as_text=True)
    assert 'role="search"' in page and "搜索" in page and NO_MATCH not in page


# --------------------------------------------------------------------------- no query per row, filters set

FILTERED_PAGES = [
    ("/shifts/hours", "staff1", "add_shifts", {}),
    ("/shifts/hours", "orgadmin", "add_shifts", {"q": "QC"}),
    ("/volunteers/hours", "vol", "add_shifts", {"q": "QC", "since": "2000-01-01"}),
    ("/cases/", "worker", "add_cases", {"q": "QC", "status": "open"}),
    ("/cases/", "orgadmin", "add_cases", {"q": "QC"}),
    ("/notifications", "vol", "add_notifications", {"q": "QC", "kind": "shifts"}),
]


@pytest.mark.parametrize(("path", "username", "builder", "args"), FILTERED_PAGES,
                         ids=[f"{p}-{u}" for p, u, _b, _a in FILTERED_PAGES])
def test_the_filtered_lists_run_no_query_per_row(app, client, auth, world, path, username, builder, args):
    from urllib.parse import urlencode
    from tests.web import test_query_counts as counts
    app.config["PER_PAGE"] = 100
    build = [getattr(counts, builder)]
    counts.grow(build, world, counts.FEW)
    auth.login(username)
    url = f"{path}?{urlencode(args)}" if args else path
    client.get(url)
    status, few, size_few = counts.measure(app, client, url)
    assert status == 200
    counts.grow(build, world, counts.MANY - counts.FEW)
    status, many, size_many = counts.measure(app, client, url)
    assert status == 200 and size_many > size_few
    assert len(many) <= len(few) + counts.SLACK, counts.repeated(many)
