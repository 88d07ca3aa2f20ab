"""Functions several areas call for the same rule: the checks of an import's cells, the skills a form offers,
storing an upload with its row, the wording of a need's consents."""
import os
from datetime import date

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from linkage import uploads
from linkage.errors import Refused
from linkage.extensions import db
from linkage.imports import services as imports
from linkage.models import Recurrence, Region, Resident, Skill, VulnerableTag
from linkage.models.needs import NeedPhoto
from linkage.security import decrypt
from linkage.skills.queries import offered_skills, skill_choices
from tests.factories import make_need, make_resident, make_resident_id


@pytest.fixture(autouse=True)
def request_context(app):
    with app.test_request_context(), force_locale("en"):
        yield


# --- the cells of an import --------------------------------------------------------------------------------

def test_an_id_number_cell_is_normalized_checked_and_seen_once_per_file():
    seen = {}
    number = make_resident_id()
    assert imports.id_number_cell(f" {number.lower()} ", 2, seen)[::2] == (number, None)
    assert seen == {number: 2}
    again = imports.id_number_cell(number, 5, seen)
    assert again[1] is None and "row 2" in str(again[2])
    # Without ``seen`` (needs: many rows name the same resident) the number may come again.
    assert imports.id_number_cell(number, 6)[2] is None and imports.id_number_cell(number, 6)[1] is not None
    assert "example row" in str(imports.id_number_cell(imports.EXAMPLE_ID, 3, seen)[2])
    assert "last character" in str(imports.id_number_cell(number[:17] + ("0" if number[17] != "0" else "1"), 4)[2])
    assert imports.id_number_cell("  ", 7, seen) == ("", None, None)   # empty: the required check says so


def test_a_rule_on_what_the_number_says_comes_before_the_files_other_rows():
    seen, young = {}, make_resident_id(date(2020, 1, 2))
    too_young = (lambda info: "too young" if info.birth_date.year > 2010 else None)
    assert imports.id_number_cell(young, 2, seen, rule=too_young)[2] == "too young"
    assert imports.id_number_cell(young, 3, seen, rule=too_young)[2] == "too young"   # not "already in row 2"
    assert seen == {}
    assert imports.id_number_cell(make_resident_id(), 4, seen, rule=too_young)[2] is None


def test_names_and_codes_find_one_item_and_say_when_two_share_a_name(world):
    world.c2.name_en = world.c1.name_en      # two communities with one English name
    lookup = imports.name_lookup([world.c1, world.c2, world.c3])
    assert imports.region_problem(lookup, world.c1.code) == (world.c1, None)
    assert imports.region_problem(lookup, world.c3.name.upper()) == (world.c3, None)
    region, problem = imports.region_problem(lookup, world.c1.name_en)
    assert region is None and "write its code" in problem
    region, problem = imports.region_problem(lookup, "Nowhere")
    assert region is None and "Nowhere" in problem
    assert imports.region_problem(lookup, "") == (None, None)


def test_a_list_cell_names_items_in_either_language_and_every_unknown_word():
    lookup = imports.label_lookup([VulnerableTag.disabled, VulnerableTag.elderly_alone])
    with force_locale("zh_CN"):
        chinese = str(VulnerableTag.disabled.label)
    items, problems = imports.named_items(f"{chinese}，elderly_alone; nobody、 x ", lookup,
                                          lambda word: f"unknown {word}")
    assert items == [VulnerableTag.disabled, VulnerableTag.elderly_alone]
    assert problems == ["unknown nobody", "unknown x"]
    assert imports.label_lookup(Recurrence)[str(Recurrence.weekly.label).casefold()] is Recurrence.weekly


def test_a_rows_problems_are_kept_under_their_column_headers():
    problems = []
    assert imports.row_done(imports.RESIDENTS, 2, [("phone", None), ("consent", None)], problems)
    assert problems == []
    assert not imports.row_done(imports.RESIDENTS, 3, [("phone", "bad phone"), ("consent", None)], problems)
    assert [(p.row, p.column, p.message) for p in problems] == [(3, "Phone", "bad phone")]
    assert imports.consent_problem({"consent": "yes"}, "no") == []
    assert imports.consent_problem({"consent": "later"}, "no") == [("consent", "no")]
    assert imports.phone_problem({"phone": "13800138000"}) == []
    assert imports.phone_problem({"phone": "call me"})[0][0] == "phone"


def test_rows_already_in_the_register_are_reported_and_left_out(world):
    registered = make_resident(world.c1, name="Registered", born=date(1950, 5, 17))
    db.session.commit()
    number = decrypt(registered.id_number_encrypted)
    rows = [{"row": 2, "id_number": number}, {"row": 3, "id_number": make_resident_id(date(1960, 1, 2))}]
    problems = []
    kept = imports.already_registered(imports.RESIDENTS, rows, problems, Resident.id_number_index,
                                      lambda row: row["id_number"], "already registered")
    assert kept == [rows[1]]
    assert [(p.row, p.column, p.message) for p in problems] == [(2, "Resident ID number", "already registered")]


# --- the skills a form offers ------------------------------------------------------------------------------

def test_forms_offer_active_skills_and_keep_a_retired_one_a_record_names(world):
    retired = Skill(code="sign_language", name="手语", name_en="Sign language", active=False)
    db.session.add(retired)
    db.session.flush()
    assert offered_skills() == [world.elder_care, world.first_aid]     # by code
    assert offered_skills(certificates=False) == [world.elder_care]
    assert offered_skills([retired.id, None]) == [world.elder_care, world.first_aid, retired]
    assert [(c.value, str(c.label)) for c in skill_choices(offered_skills(), "en")] == [
        (world.elder_care.id, "Elder care"), (world.first_aid.id, "First aid")]


# --- an upload stored with its row -------------------------------------------------------------------------

def test_a_stored_file_is_removed_when_its_row_cannot_be_written(app, world):
    row = NeedPhoto(need_id=None, stored_name=uploads.new_name(), extension="png", size=3)   # no need: refused
    with pytest.raises(sa.exc.IntegrityError):
        uploads.store_with_row("photos", row, b"abc", encrypted=True)
    db.session.rollback()
    assert not os.path.exists(uploads.stored_path("photos", row.stored_name))


def test_a_stored_file_and_its_row_are_kept_together(app, world):
    from linkage.models import Need
    from tests.factories import make_need

    need = make_need(make_resident(world.c1), world.visits)
    db.session.flush()
    row = NeedPhoto(need_id=need.id, stored_name=uploads.new_name(), extension="png", size=3)
    uploads.store_with_row("photos", row, b"abc", encrypted=True)
    assert row.id is not None and uploads.read_back("photos", row.stored_name, encrypted=True) == b"abc"
    assert db.session.get(Need, need.id).id == need.id


def test_files_stored_inside_a_savepoint_that_rolls_back_go_with_it_and_the_others_stay(app, world):
    need = make_need(make_resident(world.c1), world.visits)
    db.session.flush()

    def photo():
        return NeedPhoto(need_id=need.id, stored_name=uploads.new_name(), extension="png", size=3)

    kept, undone, deeper, released = photo(), photo(), photo(), photo()
    uploads.store_with_row("photos", kept, b"abc")
    try:
        with db.session.begin_nested():
            uploads.store_with_row("photos", undone, b"abc")
            with db.session.begin_nested():                # a savepoint inside the one rolled back
                uploads.store_with_row("photos", deeper, b"abc")
            raise RuntimeError("undo")
    except RuntimeError:
        pass
    with db.session.begin_nested():
        uploads.store_with_row("photos", released, b"abc")
    db.session.commit()
    rows = {"kept": kept, "undone": undone, "deeper": deeper, "released": released}
    exists = {name: os.path.exists(uploads.stored_path("photos", row.stored_name)) for name, row in rows.items()}
    assert exists == {"kept": True, "undone": False, "deeper": False, "released": True}

def test_a_stored_file_gone_from_the_server_is_refused_with_the_callers_words(app):
    name = uploads.new_name()
    uploads.store("photos", name, b"abc", encrypted=True)
    assert uploads.read_stored("photos", name, "gone") == b"abc"
    uploads.remove("photos", name)
    with pytest.raises(Refused) as refused:
        uploads.read_stored("photos", name, "The photo's file is missing from the server.")
    assert str(refused.value.message) == "The photo's file is missing from the server."


# --- a need's consents, worded for who fills the form in ---------------------------------------------------

def test_the_consents_are_worded_for_the_resident_or_for_staff(app):
    from linkage.needs.forms import CONSENT_WORDING, NeedForm, StaffNeedForm

    own, staff = NeedForm(meta={"csrf": False}), StaffNeedForm(meta={"csrf": False})
    for name, (resident_words, staff_words) in CONSENT_WORDING.items():
        assert str(own[name].label.text) == str(resident_words) and str(resident_words).startswith("I ")
        assert str(staff[name].label.text) == str(staff_words) and str(staff_words).startswith("The resident")
    assert own.consent.description == staff.consent.description
    assert own.photo_consent.description == staff.photo_consent.description


# --- the community a place is counted in -------------------------------------------------------------------

def test_a_place_is_counted_in_its_community_by_one_rule(world):
    """A grid lies in its community; a street or a district, holding no community, stands for itself. The
    on-time report's rows and the forecast's series count a need filed in a grid in the same community."""
    from datetime import timedelta

    from linkage import timeutil
    from linkage.forecast import queries as forecast
    from linkage.needs import ontime
    assert [r.community_area() for r in (world.c1, world.grid1, world.street1, world.district)] == [
        world.c1, world.c1, world.street1, world.district]
    regions = {r.id: r for r in db.session.scalars(sa.select(Region))}
    assert forecast._community_of(regions) == {rid: r.community_area().id for rid, r in regions.items()}
    need = make_need(world.resident, world.visits)
    need.region, need.verified_at = world.grid1, need.created_at + timedelta(hours=1)
    db.session.commit()
    assert [(row.community, row.sector, row.counted) for row in ontime.report(world["civil"])] == [
        (world.c1, world.care, 1)]
    month = forecast.month_index(timeutil.to_local(need.created_at).date())
    assert forecast.monthly_counts(sa.true(), month, month).counts == {(world.care.id, world.c1.id): [1]}


# --- the district a place lies in --------------------------------------------------------------------------

def test_a_case_run_draws_on_and_names_the_same_district(world):
    """A case run in a community draws on the social workers of its whole district, and an empty one names
    that district: both by one rule (``Region.district_area``)."""
    from linkage.matching import problems, services as matching
    from linkage.models import MatchKind
    assert {r.district_area() for r in (world.c3, world.grid1, world.street2, world.district)} == {world.district}
    workers = problems.case_rows(world.c3)[1]
    assert {w.organization_id for w in workers} == {world.org1.id, world.org2.id}   # not only street 2's
    for worker in workers:
        worker.active = False
    db.session.flush()
    assert problems.case_rows(world.c3)[1] == []
    sentences = matching.what_is_missing(MatchKind.cases, world.c3, {"needs": [{"id": "n1"}], "workers": []})
    assert [str(s) for s in sentences] == [
        f"No active social worker of an active organization works in {world.district.name}."]
