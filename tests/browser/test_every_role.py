"""Every role's key pages on the seeded demo, in Chinese and in English: on a desktop the navigation fits one
line and opens by keyboard, every field has a name a screen reader can say, headings go in order, tables have
header cells and text keeps its contrast; on a 360 px phone nothing runs off the screen. One browser context
per role and language; screenshots under test-artifacts/roles/."""
import os
import re

import pytest

from linkage.seed import DEMO_PASSWORD
from tests.browser.conftest import ARTIFACTS, policy_violations, send

pytestmark = [pytest.mark.browser, pytest.mark.layout]

SHOTS = os.path.join(ARTIFACTS, "roles")
PHONE, DESKTOP = 360, 1280
LANGUAGES = {"zh": "zh-CN", "en": "en-US"}
# login: (a list, the detail a link on that list leads to (a path pattern), a form)
PAGES = {
    "admin": ("/admin/users", None, "/admin/users/new"),
    "civil": ("/projects/", r"/projects/\d+$", "/matching/new"),
    "street": ("/community/needs", r"/community/needs/\d+$", "/meetings/new"),
    "community": ("/community/needs", r"/community/needs/\d+$", "/community/residents/new"),
    "grid": ("/community/residents", r"/community/residents/\d+$", "/community/needs/new"),
    "orgadmin": ("/projects/", r"/projects/\d+$", "/organizations/mine/workers/new"),
    "worker": ("/cases/", r"/cases/\d+$", "/records/corrections/new"),
    "supervisor": ("/shifts/", r"/shifts/\d+$", "/cases/new"),
    "volunteer": ("/shifts/", r"/shifts/\d+$", "/volunteers/profile"),
    "resident": ("/needs/", r"/needs/\d+$", "/needs/new"),
    "expert": ("/projects/", r"/projects/\d+$", "/auth/password"),
    "observer": ("/organizations/", r"/organizations/\d+$", "/auth/password"),
}

# The accessible name of a field as a screen reader finds it: aria-label(ledby), a <label>, or a title.
UNNAMED_FIELDS = """() => [...document.querySelectorAll('input, select, textarea')].filter(el => {
  if (el.type === 'hidden' || el.type === 'submit' || el.type === 'button') return false;
  const box = el.getBoundingClientRect();
  if (!box.width || !box.height || getComputedStyle(el).visibility === 'hidden') return false;
  const by = (el.getAttribute('aria-labelledby') || '').split(/\\s+/).filter(Boolean)
    .map(id => document.getElementById(id)?.textContent || '').join('');
  const labels = [...(el.labels || [])].map(l => l.textContent).join('');
  return !(el.getAttribute('aria-label') || by || labels || el.title).trim();
}).map(el => el.outerHTML.slice(0, 160))"""

# Contrast of the text of links, buttons, the bar, badges and body text against the colour behind it.
LOW_CONTRAST = """() => {
  const rgb = s => (s.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
    .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
  const over = (top, bottom) => { const a = top.length > 3 ? top[3] : 1;
    return [0, 1, 2].map(i => top[i] * a + bottom[i] * (1 - a)); };
  const behind = el => { const layers = [];
    for (let node = el; node; node = node.parentElement) {
      const c = rgb(getComputedStyle(node).backgroundColor);
      if (c.length > 3 && c[3] === 0) continue;
      layers.push(c); if (c.length === 3 || c[3] === 1) break; }
    return layers.reverse().reduce((acc, c) => over(c, acc), [255, 255, 255]); };
  const found = [];
  const selector = 'main p, main td, main th, main li, main a, main .btn, main .badge, main label, main h1, main h2, ' +
                   'main .text-muted, main .small, .app-navbar .nav-link, .app-navbar .navbar-brand, .app-navbar .btn, footer a, footer';
  for (const el of document.querySelectorAll(selector)) {
    const box = el.getBoundingClientRect();
    if (!box.width || !box.height || !el.textContent.trim() || el.closest('.disabled, :disabled, [aria-disabled=true]')) continue;
    const style = getComputedStyle(el);
    const bg = behind(el), fg = over(rgb(style.color), bg);
    const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
    const ratio = (hi + 0.05) / (lo + 0.05);
    if (ratio < 4.5) found.push(`${el.tagName.toLowerCase()}.${el.className} "${el.textContent.trim().slice(0, 30)}" ${ratio.toFixed(2)}`);
  }
  return found; }"""

HEADINGS_SKIPPED = """() => { const levels = [...document.querySelectorAll('main h1, main h2, main h3, main h4, main h5, main h6')]
  .filter(h => h.getBoundingClientRect().height).map(h => Number(h.tagName[1]));
  const skips = []; let last = 0;
  levels.forEach(level => { if (level > last + 1) skips.push(`h${last} → h${level}`); last = level; });
  if (levels.length && levels[0] !== 1) skips.push('the first heading is not h1');
  return skips; }"""

# The width of the focus ring around the focused element (0 when there is none).
FOCUS_RING = """() => { const style = getComputedStyle(document.activeElement);
  return style.outlineStyle === 'none' ? 0 : parseFloat(style.outlineWidth); }"""

TABLES_WITHOUT_HEADERS = """() => [...document.querySelectorAll('main table')].filter(t => !t.querySelector('th'))
  .map(t => t.outerHTML.slice(0, 120))"""

WIDER_THAN_SCREEN = """width => [...document.querySelectorAll('body *')].filter(el => {
  const box = el.getBoundingClientRect();
  if (!box.width || getComputedStyle(el).visibility === 'hidden') return false;
  for (let p = el.parentElement; p; p = p.parentElement) {
    const overflow = getComputedStyle(p).overflowX;
    if (overflow === 'auto' || overflow === 'scroll' || overflow === 'hidden') return false; }
  return box.right > width + 1 || box.left < -1;
}).map(el => `${el.tagName.toLowerCase()}.${el.className} "${(el.textContent || '').trim().slice(0, 30)}"`).slice(0, 5)"""


@pytest.fixture
def demo(seeded_demo):
    """The demo district in the served app's database (a copy of the one seeded for the run)."""
    return seeded_demo


def _sign_in(tab, base_url, username):
    tab.goto(base_url + "/auth/login")
    tab.fill("input[name=username]", username)
    tab.fill("input[name=password]", DEMO_PASSWORD)
    send(tab, "main form button[type=submit]")  # the page the log-in leads to, loaded (not half a second of quiet)
    assert "/auth/login" not in tab.url, username


def _detail(tab, pattern):
    if pattern is None:
        return None
    hrefs = tab.eval_on_selector_all("main a[href]", "links => links.map(a => a.getAttribute('href'))")
    return next((href for href in hrefs if re.search(pattern, href.split("?")[0])), None)


def _walk(tab, base_url, username):
    """Home, the list, the first detail on it and the form: yields (page name, path) after loading each."""
    listing, pattern, form = PAGES[username]
    for name, path in (("home", "/"), ("list", listing)):
        response = tab.goto(base_url + path)
        assert response.status == 200, (username, path)
        yield name, path
        if name == "list":
            detail = _detail(tab, pattern)
    if pattern is not None:
        assert detail, (username, "no detail link on", listing)
        response = tab.goto(base_url + detail)
        assert response.status == 200, (username, detail)
        yield "detail", detail
    response = tab.goto(base_url + form)
    assert response.status == 200, (username, form)
    yield "form", form


def _context(browser, language, width):
    phone = width == PHONE
    context = browser.new_context(locale=LANGUAGES[language], viewport={"width": width, "height": 740 if phone else 900},
                                  is_mobile=phone, has_touch=phone)
    context.set_default_timeout(15000)
    return context


def _shot(tab, name):
    os.makedirs(SHOTS, exist_ok=True)
    tab.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def _choose_language(tab, base_url, language):
    """The language the user picks with the bar's button (it is kept in the session)."""
    tab.goto(base_url + "/")
    wanted = "zh" if language == "zh" else "en"
    if not (tab.get_attribute("html", "lang") or "").startswith(wanted):
        send(tab, ".app-navbar form[action*='/auth/language'] button")
    assert (tab.get_attribute("html", "lang") or "").startswith(wanted)


@pytest.mark.timeout(600)   # twelve roles' pages on the demo, four pages each
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_role_reads_well_on_a_desktop(browser, live_server, demo, language):
    """At 1,280 px in both languages: the bar is one line, its menus open by keyboard and mark the current
    page; fields have names, headings go in order, tables have header cells, text keeps a 4.5:1 contrast."""
    problems = []
    for username in PAGES:
        context = _context(browser, language, DESKTOP)
        tab = context.new_page()
        blocked = policy_violations(tab)
        _sign_in(tab, live_server, username)
        _choose_language(tab, live_server, language)
        bar = tab.locator("#mainnav > .navbar-nav")
        heights = tab.eval_on_selector_all("#mainnav > .navbar-nav > .nav-item",
                                           "items => items.map(i => Math.round(i.getBoundingClientRect().top))")
        if len(set(heights)) > 1:
            problems.append(f"{language} {username}: the bar wraps to {len(set(heights))} lines")
        navbar_height = tab.evaluate("document.querySelector('.app-navbar').getBoundingClientRect().height")
        if navbar_height > 70:
            problems.append(f"{language} {username}: the bar is {navbar_height:.0f} px high")
        # The first Tab reaches the link that skips the bar, shown with a focus ring.
        tab.keyboard.press("Tab")
        assert tab.evaluate("document.activeElement.classList.contains('skip-link')"), (language, username)
        assert tab.evaluate(FOCUS_RING) >= 2, (language, username, "no focus ring on the skip link")
        for name, path in _walk(tab, live_server, username):
            _shot(tab, f"desktop_{language}_{username}_{name}")
            for check, script in (("unnamed field", UNNAMED_FIELDS), ("low contrast", LOW_CONTRAST),
                                  ("heading skipped", HEADINGS_SKIPPED),
                                  ("table without header cells", TABLES_WITHOUT_HEADERS)):
                for found in tab.evaluate(script):
                    problems.append(f"{language} {username} {path}: {check}: {found}")
        # The keyboard opens a menu of the bar, which says it is open and marks the current page.
        toggles = bar.locator("[data-bs-toggle=dropdown]")
        if toggles.count():
            toggle = toggles.first
            toggle.focus()
            tab.keyboard.press("Enter")
            tab.wait_for_selector("#mainnav .dropdown-menu.show")
            assert toggle.get_attribute("aria-expanded") == "true", (language, username)
            tab.keyboard.press("ArrowDown")
            focused = tab.evaluate("document.activeElement.classList.contains('dropdown-item')")
            assert focused, (language, username, "arrow keys do not reach the menu's entries")
            assert tab.evaluate(FOCUS_RING) >= 2, (language, username, "no focus ring on the menu entry")
            _shot(tab, f"desktop_{language}_{username}_menu")
            tab.keyboard.press("Escape")
            href = tab.eval_on_selector("#mainnav .dropdown-menu a", "a => a.getAttribute('href')")
            tab.goto(live_server + href)
            current = tab.locator("#mainnav [aria-current=page]")
            assert current.count() == 1 and current.get_attribute("href") == href, (language, username, href)
            assert "active" in tab.locator("#mainnav .dropdown-toggle.active").first.get_attribute("class")
        context.close()
        assert blocked == [], blocked
    assert problems == [], "\n".join(problems)


@pytest.mark.timeout(600)
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_role_fits_a_phone(browser, live_server, demo, language):
    """At 360 px in both languages, nothing on a role's home, list, detail and form pages runs off the screen,
    and the bar collapses behind its menu button and opens."""
    problems = []
    for username in PAGES:
        context = _context(browser, language, PHONE)
        tab = context.new_page()
        _sign_in(tab, live_server, username)
        _choose_language(tab, live_server, language)
        for name, path in _walk(tab, live_server, username):
            _shot(tab, f"phone_{language}_{username}_{name}")
            width = tab.evaluate("document.documentElement.scrollWidth")
            if width > PHONE:
                problems.append(f"{language} {username} {path}: {width} px wide: "
                                f"{tab.evaluate(WIDER_THAN_SCREEN, PHONE)}")
            if name == "home":
                assert not tab.locator("#mainnav").is_visible()
                tab.click(".navbar-toggler")
                tab.wait_for_selector("#mainnav.show")
                _shot(tab, f"phone_{language}_{username}_menu")
                if tab.evaluate("document.documentElement.scrollWidth") > PHONE:
                    problems.append(f"{language} {username}: the opened menu is wider than the phone")
        context.close()
    assert problems == [], "\n".join(problems)
