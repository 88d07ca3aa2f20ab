"""Administrators keep the service taxonomy and the region tree: add, rename, retire; codes never change;
retired entries leave the forms for new records while existing records keep showing them; all audited."""
import re

import pytest
import sqlalchemy as sa

from linkage.extensions import db
from linkage.models import AuditEvent, Category, NeedStatus, Region, RegionLevel, Skill
from tests.factories import make_need, make_resident, make_shift


def offered(html: str, value: int, name: str = "region") -> bool:
    """Whether the form's select ``name`` (ending so) offers ``value``."""
    selects = re.findall(rf'<select[^>]*name="[^"]*{name}"[^>]*>(.*?)</select>', html, re.S)
    assert selects, f"no select {name}"
    return any(re.search(rf'<option[^>]*value="{value}"', options) for options in selects)


def events(action):
    return db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)).all()


@pytest.fixture
def admin(client, auth, world):
    auth.login("admin")
    return client


def test_only_admins_reach_the_pages(client, auth, world):
    auth.login("staff1")
    assert client.get("/admin/taxonomy").status_code == 403
    assert client.post("/admin/category/%d/retire" % world.visits.id).status_code == 403
    assert db.session.get(Category, world.visits.id).active


def test_add_a_category_under_a_sector(admin, world):
    response = admin.post("/admin/taxonomy/categories", data={
        "category-parent": world.care.id, "category-code": "meals", "category-name": "助餐服务",
        "category-name_en": "Meals"})
    assert response.status_code == 302
    meals = db.session.scalar(sa.select(Category).where(Category.code == "elderly.meals"))
    assert (meals.level, meals.parent_id, meals.name_en, meals.active) == (2, world.care.id, "Meals", True)
    assert events("category.add")[0].after["code"] == "elderly.meals"
    page = admin.get("/admin/taxonomy").get_data(as_text=True)
    assert "助餐服务" in page and "elderly.meals" in page

    again = admin.post("/admin/taxonomy/categories", data={
        "category-parent": world.care.id, "category-code": "meals", "category-name": "又一个"})
    assert "already in use" in again.get_data(as_text=True)
    bad = admin.post("/admin/taxonomy/categories", data={
        "category-parent": world.care.id, "category-code": "Meals!", "category-name": "x"})
    assert "lowercase letters" in bad.get_data(as_text=True)
    deep = db.session.get(Category, meals.id)
    sub = admin.post("/admin/taxonomy/categories", data={"category-parent": deep.id, "category-code": "hot",
                                                         "category-name": "热餐"})
    assert sub.status_code == 302
    assert db.session.scalar(sa.select(Category.level).where(Category.code == "elderly.meals.hot")) == 3
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Category)) == 6


def test_rename_keeps_the_code_and_is_audited(admin, world):
    url = f"/admin/category/{world.visits.id}/edit"
    assert "elderly.visits" in admin.get(url).get_data(as_text=True)
    assert admin.post(url, data={"name": "上门探访服务", "name_en": "Home visiting"}).status_code == 302
    category = db.session.get(Category, world.visits.id)
    assert (category.code, category.name, category.name_en) == ("elderly.visits", "上门探访服务", "Home visiting")
    event = events("category.rename")[0]
    assert event.before == {"name": "上门探访", "name_en": "Home visits"}
    assert event.after == {"name": "上门探访服务", "name_en": "Home visiting"}
    same = admin.post(url, data={"name": "上门探访服务", "name_en": "Home visiting"})
    assert "Nothing changed" in same.get_data(as_text=True)


def test_a_retired_category_leaves_new_forms_and_old_needs_keep_it(client, auth, admin, world):
    need = make_need(world.resident, world.visits, status=NeedStatus.open, title="Old visit need")
    db.session.commit()
    refused = admin.post(f"/admin/category/{world.care.id}/retire", follow_redirects=True)
    assert "Retire its sub-categories first" in refused.get_data(as_text=True)
    assert db.session.get(Category, world.care.id).active

    assert admin.post(f"/admin/category/{world.visits.id}/retire").status_code == 302
    assert db.session.get(Category, world.visits.id).active is False
    assert events("category.retire")[0].after == {"active": False}
    auth.as_(world["resident"])
    form = client.get("/needs/new").get_data(as_text=True)
    assert not offered(form, world.visits.id, "category") and offered(form, world.tutoring.id, "category")
    assert "Home visits" in client.get(f"/needs/{need.id}").get_data(as_text=True)
    auth.as_(world["staff1"])
    assert "Home visits" in client.get(f"/community/needs/{need.id}").get_data(as_text=True)


def test_skills_add_rename_retire(client, auth, admin, world):
    assert admin.post("/admin/taxonomy/skills", data={
        "skill-code": "sign_language", "skill-name": "手语", "skill-name_en": "Sign language",
        "skill-category": world.care.id, "skill-is_certificate": "y"}).status_code == 302
    skill = db.session.scalar(sa.select(Skill).where(Skill.code == "sign_language"))
    assert skill.is_certificate and skill.category_id == world.care.id
    assert admin.post(f"/admin/skill/{skill.id}/edit", data={"name": "手语翻译", "name_en": "Signing"}).status_code == 302
    shift = make_shift(world.c1, slots=((world.first_aid, 1),), title="First aid cover")
    db.session.commit()
    assert admin.post(f"/admin/skill/{world.first_aid.id}/retire").status_code == 302
    assert [e.after for e in events("skill.retire")] == [{"active": False}]
    auth.as_(world["staff1"])
    form = client.get("/shifts/new").get_data(as_text=True)
    assert not offered(form, world.first_aid.id, "skill") and offered(form, world.elder_care.id, "skill")
    assert "First aid" in client.get(f"/shifts/{shift.id}").get_data(as_text=True)


def test_regions_add_rename_and_retire_with_the_rules(client, auth, admin, world):
    bad = admin.post("/admin/regions", data={"parent": world.c2.id, "code": "999", "name": "松树第1网格"})
    assert "starts with the code of" in bad.get_data(as_text=True)
    assert admin.post("/admin/regions", data={"parent": world.c2.id, "code": "310101001002001",
                                              "name": "松树第1网格", "name_en": "Pine Grid 1"}).status_code == 302
    grid = db.session.scalar(sa.select(Region).where(Region.code == "310101001002001"))
    assert grid.level == RegionLevel.grid and grid.path == f"{world.c2.path}{grid.id}/"
    assert events("region.add")[0].after["parent"] == world.c2.name
    assert admin.post(f"/admin/region/{world.c2.id}/edit", data={"name": "松树社区", "name_en": "Pine"}).status_code == 302
    assert db.session.get(Region, world.c2.id).code == "310101001002"

    # Community 1 has a need still open: retiring it is refused, with what is going on there.
    make_need(world.resident, world.visits, status=NeedStatus.open, title="Still open")
    db.session.commit()
    page = admin.get(f"/admin/region/{world.c1.id}/edit").get_data(as_text=True)
    assert "data-blockers" in page
    refused = admin.post(f"/admin/region/{world.c1.id}/retire", follow_redirects=True).get_data(as_text=True)
    assert "cannot be retired while 1 needs are still open" in refused
    assert db.session.get(Region, world.c1.id).active
    # Community 2 has an active grid: retire that first.
    assert "retire them first" in admin.post(f"/admin/region/{world.c2.id}/retire",
                                             follow_redirects=True).get_data(as_text=True)
    resident = make_resident(world.c2, name="Pine Elder")
    db.session.commit()
    assert admin.post(f"/admin/region/{grid.id}/retire").status_code == 302
    assert admin.post(f"/admin/region/{world.c2.id}/retire").status_code == 302
    assert db.session.get(Region, world.c2.id).active is False
    assert [e.after for e in events("region.retire")] == [{"active": False}, {"active": False}]

    # No new residents, accounts or activities there; the resident already there still shows it.
    for url in ("/community/residents/new", "/admin/users/new"):
        assert not offered(admin.get(url).get_data(as_text=True), world.c2.id), url
    assert offered(admin.get("/community/residents/new").get_data(as_text=True), world.c1.id)
    assert ">Pine</dd>" in admin.get(f"/community/residents/{resident.id}").get_data(as_text=True)
    assert "Pine" in admin.get("/admin/regions").get_data(as_text=True)
