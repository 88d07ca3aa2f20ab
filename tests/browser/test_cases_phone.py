"""A social worker on a phone (360 px wide, Chinese): the case list with its tasks and the case page with its
status bar fit the screen; a note is written and a supervisor approves the assessment from the phone."""
from datetime import timedelta

import pytest

from linkage.cases import services
from linkage.extensions import db
from linkage.models import Case, CaseStage, NoteKind
from tests.browser.conftest import login, submit
from tests.browser.test_phone import fits, phone  # noqa: F401  (a fixture)
from linkage.timeutil import LOCAL_TZ
from tests.factories import now
from tests.web.test_cases_support import case_people, professional_need

pytestmark = pytest.mark.browser


@pytest.fixture
def open_case(world):
    people = case_people(world)
    need = professional_need(world, people.project, title="独居老人心理疏导与居家安全评估（长期跟进）")
    case = services.open_case([need], people.worker, actor=world["worker"])
    services.advance(case, actor=world["worker"])
    services.add_note(case, actor=world["worker"], kind=NoteKind.visit, happened_at=now() - timedelta(hours=5),
                      text="首次家访：老人独居，行动不便，子女在外地，居家环境有跌倒风险。")
    db.session.commit()
    return case


def test_a_case_works_on_a_phone(phone, world, open_case):  # noqa: F811
    login(phone, "worker")
    phone.goto(phone.base_url + "/cases/")
    assert "评估截止" in phone.inner_text("main")
    fits(phone, "case_list", ["#tasks + ul li", "#caseload"])
    phone.goto(phone.base_url + f"/cases/{open_case.id}")
    fits(phone, "case_page", ["#status-bar li", "#notes"])
    assert phone.locator("#status-bar li[aria-current=step]").inner_text().endswith("评估")
    phone.select_option("select[name=kind]", "call")
    phone.fill("input[name=happened_at]", (now() - timedelta(hours=1)).astimezone(LOCAL_TZ).strftime("%Y-%m-%dT%H:%M"))
    phone.fill("textarea[name=text]", "电话随访：老人情绪稳定。")
    submit(phone, "form[action$='/notes'] button[type=submit]")
    assert "电话随访：老人情绪稳定。" in phone.inner_text("main")
    phone.fill("textarea[name=summary]", "评估：独居、跌倒风险高，建议每周探访并加装扶手。")
    submit(phone, "form[action$='/approval'] button[type=submit]")
    fits(phone, "case_waiting", ["#pending-approval"])

    phone.goto(phone.base_url + "/auth/login")
    phone.context.clear_cookies()
    login(phone, "senior")
    phone.goto(phone.base_url + "/cases/")
    phone.click(f"#supervision + ul a[href='/cases/{open_case.id}']")
    phone.check("input[name=decision][value=approve]")
    submit(phone, "form[action$='/decide'] button[type=submit]")
    assert db.session.get(Case, open_case.id).stage == CaseStage.plan


def test_a_document_is_added_on_a_phone_and_listed(phone, world, open_case):  # noqa: F811
    login(phone, "worker")
    phone.goto(phone.base_url + f"/cases/{open_case.id}")
    phone.fill("form[action$='/documents'] input[name=title]", "服务知情同意书（老人本人签字，子女见证）")
    phone.set_input_files("form[action$='/documents'] input[name=file]",
                          files=[{"name": "consent.pdf", "mimeType": "application/pdf",
                                  "buffer": b"%PDF-1.4 signed consent"}])
    submit(phone, "form[action$='/documents'] button[type=submit]")
    assert "文件已添加到个案。" in phone.inner_text("main")
    fits(phone, "case_documents", ["#case-documents li", "#documents"])
    assert phone.locator("#case-documents a").inner_text() == "服务知情同意书（老人本人签字，子女见证）"
