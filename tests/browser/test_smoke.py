import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login, submit

pytestmark = pytest.mark.browser


def test_sign_in_in_chinese_and_switch_to_english(page, world):
    page.goto(page.base_url + "/")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    login(page, "staff1")
    assert page.locator(".navbar").is_visible()
    submit(page, "button:has-text('English')")
    assert page.locator("html").get_attribute("lang") == "en"
    page.click("#account-menu")   # the account's menu: the name, then signing out
    expect(page.locator("button:has-text('Sign out')")).to_be_visible()


def test_wrong_password_shows_a_message_and_keeps_username(page, world):
    page.goto(page.base_url + "/auth/login")
    page.fill("input[name=username]", "staff1")
    page.fill("input[name=password]", "nope")
    submit(page, "main form button[type=submit]")
    expect(page.locator(".invalid-feedback")).to_be_visible()
    assert page.input_value("input[name=username]") == "staff1"
