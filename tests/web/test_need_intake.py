"""How needs come in: the channel of each, photos, likely duplicates before filing, joining, staff merging."""
import io

import pytest
import sqlalchemy as sa

from linkage.extensions import db
from linkage.models import AuditEvent, Need, NeedChannel, NeedFollower, NeedPhoto, NeedStatus, Notification, Role
from tests.factories import make_need, make_resident, make_user

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


@pytest.fixture
def app_config():
    return {"PHOTO_MAX_MB": 0.01}   # 10,485 bytes


def count(model=Need):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def form(world, **changes):
    data = {"category": world.visits.id, "title": "Someone to chat with", "description": "", "urgency": "2",
            "window_start": "", "window_end": "", "recurrence": "once", "consent": "y",
            "photo_consent": "y"}
    data.update(changes)
    return data


@pytest.fixture
def neighbour(world):
    """An open need of the same category, of another resident of the same community, at the same place."""
    user = make_user("neighbour", Role.resident, world.c1)
    resident = make_resident(world.c1, name="Neighbour Li", user=user)
    need = make_need(resident, world.visits, status=NeedStatus.open, title="Visits for the old couple")
    db.session.commit()
    return need


# --- channels -----------------------------------------------------------------------------------------

def test_each_path_records_its_channel_and_staff_filter_by_it(client, auth, world):
    auth.login("resident")
    assert client.post("/needs/new", data=form(world, title="Own request")).status_code == 302
    auth.as_(world["grid"])
    assert client.post(f"/community/needs/new?resident={world.resident.id}",
                       data=form(world, title="Found on rounds", anyway="1")).status_code == 302
    auth.as_(world["staff1"])
    assert client.post(f"/community/needs/new?resident={world.resident.id}",
                       data=form(world, title="At the desk", anyway="1")).status_code == 302
    assert client.post(f"/community/needs/new?resident={world.resident.id}",
                       data=form(world, title="Called in", anyway="1", by_phone="y",
                                 caller_phone="138 0013 8000")).status_code == 302
    channels = dict(db.session.execute(sa.select(Need.title, Need.channel)).all())
    assert channels == {"Own request": NeedChannel.resident_self, "Found on rounds": NeedChannel.grid_worker,
                        "At the desk": NeedChannel.staff_on_behalf, "Called in": NeedChannel.hotline}
    called = db.session.scalar(sa.select(Need).where(Need.title == "Called in"))
    assert called.caller_phone == "13800138000"
    html = client.get(f"/community/needs/{called.id}").get_data(as_text=True)
    assert "By phone" in html and "*******8000" in html and "13800138000" not in html
    listed = client.get("/community/needs?channel=hotline").get_data(as_text=True)
    assert "Called in" in listed and "At the desk" not in listed and "Own request" not in listed
    listed = client.get("/community/needs?channel=resident_self").get_data(as_text=True)
    assert "Own request" in listed and "Called in" not in listed


def test_a_grid_worker_cannot_claim_a_call(client, auth, world):
    auth.login("grid")
    response = client.post(f"/community/needs/new?resident={world.resident.id}",
                           data=form(world, by_phone="y"))
    assert response.status_code == 200 and "Only community staff take requests by phone." in response.get_data(
        as_text=True)
    assert count() == 0


# --- photos -------------------------------------------------------------------------------------------

def test_photos_are_checked_stored_and_shown_to_staff(client, auth, world):
    auth.login("resident")
    data = form(world)
    data["photos"] = [(io.BytesIO(PNG), "leak.png"), (io.BytesIO(JPG), "wall.jpg")]
    assert client.post("/needs/new", data=data, content_type="multipart/form-data").status_code == 302
    need = db.session.scalar(sa.select(Need))
    assert [(p.extension, p.size) for p in need.photos] == [("png", len(PNG)), ("jpg", len(JPG))]
    auth.as_(world["staff1"])
    html = client.get(f"/community/needs/{need.id}").get_data(as_text=True)
    assert "Photo 1" in html and "Photo 2" in html
    response = client.get(f"/community/needs/{need.id}/photos/{need.photos[0].id}")
    assert response.status_code == 200 and response.data == PNG
    assert response.headers["Content-Disposition"].startswith("attachment")
    auth.as_(world["staff3"])  # another community's staff
    assert client.get(f"/community/needs/{need.id}/photos/{need.photos[0].id}").status_code == 403


def _stored_photos(app) -> list[str]:
    import os
    folder = os.path.join(app.instance_path, "uploads", "needs")
    return os.listdir(folder) if os.path.isdir(folder) else []


@pytest.mark.parametrize("failure", ["refused", "error"])
def test_a_need_whose_transaction_fails_after_its_photos_were_written_leaves_no_file(app, client, auth, world,
                                                                                      monkeypatch, failure):
    from linkage.community import consents
    from linkage.errors import Refused

    written = []
    real_record = consents.record_for_need

    def record_then_fail(*args, **kwargs):  # a step after the photos' files and rows were written fails
        written.extend(_stored_photos(app))
        real_record(*args, **kwargs)
        if failure == "refused":
            raise Refused("The consent could not be recorded.")
        raise RuntimeError("the database went away")

    monkeypatch.setattr(consents, "record_for_need", record_then_fail)
    auth.login("resident")
    data = form(world)
    data["photos"] = [(io.BytesIO(PNG), "leak.png"), (io.BytesIO(JPG), "wall.jpg")]
    response = client.post("/needs/new", data=data, content_type="multipart/form-data")
    if failure == "refused":
        assert response.status_code == 200 and "could not be recorded" in response.get_data(as_text=True)
    else:
        assert response.status_code == 500  # the error page; the request rolled back
    assert len(written) == 2  # the files were on disk before the failure
    assert _stored_photos(app) == [] and count() == 0 and count(NeedPhoto) == 0


def test_photos_of_a_need_stay_once_it_is_saved(app, client, auth, world):
    auth.login("resident")
    data = form(world)
    data["photos"] = [(io.BytesIO(PNG), "leak.png")]
    assert client.post("/needs/new", data=data, content_type="multipart/form-data").status_code == 302
    assert _stored_photos(app) == [db.session.scalar(sa.select(NeedPhoto.stored_name))]


@pytest.mark.parametrize("name, content, message", [
    ("notes.pdf", b"%PDF-1.4 x", "Files of this type are not accepted"),
    ("fake.png", b"GIF89a....", "is not a .png file"),
    ("huge.jpg", b"\xff\xd8\xff" + b"\x00" * 10_500, "larger than 0.01 MB"),
])
def test_bad_photos_write_nothing(client, auth, world, name, content, message):
    auth.login("resident")
    data = form(world)
    data["photos"] = [(io.BytesIO(content), name)]
    response = client.post("/needs/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert count() == 0 and count(NeedPhoto) == 0


# --- likely duplicates, joining -----------------------------------------------------------------------

def test_a_resident_is_shown_likely_duplicates_and_joins_one(client, auth, world, neighbour):
    auth.login("resident")
    response = client.post("/needs/new", data=form(world))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Is it one of these?" in html and count() == 1
    # Residents see the kind and the date of another resident's request, never its title or name.
    assert "Home visits" in html and "Visits for the old couple" not in html and "Neighbour Li" not in html
    assert client.post(f"/needs/{neighbour.id}/join").status_code == 302
    follower = db.session.scalar(sa.select(NeedFollower))
    assert (follower.need_id, follower.resident_id) == (neighbour.id, world.resident.id) and count() == 1
    page = client.get(f"/needs/{neighbour.id}")
    assert page.status_code == 200 and "follow this request" in page.get_data(as_text=True)
    assert "Visits for the old couple" in client.get("/needs/").get_data(as_text=True)
    # The requester's decisions stay theirs.
    refused = client.post(f"/needs/{neighbour.id}/withdraw", data={"note": ""})
    assert "You cannot withdraw this need." in refused.get_data(as_text=True)
    db.session.expire_all()
    assert neighbour.status == NeedStatus.open
    # A follower hears of progress like the requester.
    auth.as_(world["staff1"])
    client.post(f"/community/needs/{neighbour.id}/reject", data={"reason": "Not in our remit"})
    kinds = sa.select(Notification.kind).where(Notification.user_id == world["resident"].id)
    assert "need_rejected" in db.session.scalars(kinds).all()


def test_submitting_anyway_files_a_new_need(client, auth, world, neighbour):
    auth.login("resident")
    assert client.post("/needs/new", data=form(world, anyway="1")).status_code == 302
    assert count() == 2 and count(NeedFollower) == 0


def test_far_or_closed_or_other_kind_needs_are_not_suggested(client, auth, world, neighbour):
    far = make_resident(world.c1, name="Far Away")
    far.latitude, far.longitude = 31.30, 121.47  # about 7.8 km north
    make_need(far, world.visits, status=NeedStatus.open, title="Far need")
    neighbour.status = NeedStatus.closed
    db.session.commit()
    auth.login("resident")
    assert client.post("/needs/new", data=form(world)).status_code == 302
    assert count() == 3


def test_a_need_outside_the_suggestions_cannot_be_joined(client, auth, world):
    other = make_resident(world.c3, name="River Resident")
    need = make_need(other, world.visits, status=NeedStatus.open)
    db.session.commit()
    auth.login("resident")
    assert client.post(f"/needs/{need.id}/join").status_code == 403
    assert count(NeedFollower) == 0


def test_staff_see_titles_in_suggestions_and_join_for_the_resident(client, auth, world, neighbour):
    auth.login("staff1")
    response = client.post(f"/community/needs/new?resident={world.resident.id}", data=form(world))
    html = response.get_data(as_text=True)
    assert "Visits for the old couple" in html and "Neighbour Li" in html
    assert client.post(f"/community/needs/{neighbour.id}/join?resident={world.resident.id}").status_code == 302
    assert db.session.scalar(sa.select(NeedFollower.resident_id)) == world.resident.id
    auth.as_(world["staff3"])
    assert client.post(f"/community/needs/{neighbour.id}/join?resident={world.resident.id}").status_code == 403


# --- merging ------------------------------------------------------------------------------------------

def test_staff_merge_a_duplicate_with_links_both_ways(client, auth, world, neighbour):
    mine = make_need(world.resident, world.visits, status=NeedStatus.submitted, title="Chat visits please")
    db.session.commit()
    auth.login("staff1")
    html = client.get(f"/community/needs/{mine.id}").get_data(as_text=True)
    assert "Visits for the old couple" in html  # offered as the need it may repeat
    response = client.post(f"/community/needs/{mine.id}/merge", data={"into": neighbour.id, "note": "same"})
    assert response.status_code == 302
    db.session.expire_all()
    assert (mine.status, mine.duplicate_of_id, mine.closed_at is not None) == (NeedStatus.merged, neighbour.id, True)
    assert [(f.resident_id, f.merged_need_id) for f in neighbour.followers] == [(world.resident.id, mine.id)]
    assert "need_merged" in db.session.scalars(
        sa.select(Notification.kind).where(Notification.user_id == world["resident"].id)).all()
    actions = db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.action.in_(
        ["need.merge", "need.absorb"]))).all()
    assert sorted(actions) == ["need.absorb", "need.merge"]
    assert f"/community/needs/{neighbour.id}" in client.get(f"/community/needs/{mine.id}").get_data(as_text=True)
    into_page = client.get(f"/community/needs/{neighbour.id}").get_data(as_text=True)
    assert f"/community/needs/{mine.id}" in into_page and "Wu Mei" in into_page
    auth.as_(world["resident"])
    assert client.get(f"/needs/{neighbour.id}").status_code == 200
    assert f"/needs/{neighbour.id}" in client.get(f"/needs/{mine.id}").get_data(as_text=True)


@pytest.mark.parametrize("target, message", [
    ("self", "cannot be merged into itself"),
    ("closed", "merge into a need still open"),
    ("missing", "Choose the need this one repeats."),
    ("other_community", "Only the staff of both needs"),
])
def test_bad_merges_change_nothing(client, auth, world, neighbour, target, message):
    mine = make_need(world.resident, world.visits, status=NeedStatus.submitted)
    closed = make_need(world.resident, world.visits, status=NeedStatus.closed)
    river = make_need(make_resident(world.c3, name="River"), world.visits, status=NeedStatus.open)
    db.session.commit()
    into = {"self": mine.id, "closed": closed.id, "missing": 99999, "other_community": river.id}[target]
    auth.login("staff1")
    response = client.post(f"/community/needs/{mine.id}/merge", data={"into": into, "note": ""})
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    db.session.expire_all()
    assert mine.status == NeedStatus.submitted and count(NeedFollower) == 0


def _shown_words(response) -> str:
    """The page's text as a reader sees it (tags and the page's scripts and styles left out)."""
    import re
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", response.get_data(as_text=True), flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_staff_read_other_needs_by_their_words_never_by_number(client, auth, world, neighbour):
    import re

    from linkage.needs import intake
    mine = make_need(world.resident, world.visits, status=NeedStatus.submitted, title="Chat visits please")
    third = make_resident(world.c1, name="Third Zhou")
    extra = make_need(third, world.visits, status=NeedStatus.submitted, title="Someone to visit grandpa")
    intake.merge_need(extra, neighbour, actor=world["staff1"])
    db.session.commit()
    auth.login("staff1")
    filed = neighbour.created_at.strftime("%Y")
    # The need it may repeat (a merge candidate), the needs merged into it and the need it repeats.
    for need, others in ((mine, ["Visits for the old couple"]),
                         (neighbour, ["Someone to visit grandpa", "Third Zhou"]),
                         (extra, ["Visits for the old couple"])):
        page = _shown_words(client.get(f"/community/needs/{need.id}"))
        assert not re.search(r"#\s*\d", page), need.title
        for words in others:
            assert words in page
        assert "Home visits" in page and "Plum Community" in page and filed in page
    page = _shown_words(client.get(f"/community/needs/{neighbour.id}"))
    assert "their request “Someone to visit grandpa”" in page
