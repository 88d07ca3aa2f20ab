"""The navigation bar: each role's pages grouped in a few menus per area, the current page marked."""
import re

import pytest

from linkage.main.navigation import FLAT_UP_TO, MENUS, NAVIGATION, Menu, bar_for
from linkage.models import Role

BAR_LIMIT = 6   # what fits one line at 1,280 px next to the brand and the account buttons


@pytest.mark.parametrize("role", list(Role))
def test_every_role_sees_few_items_on_the_bar(app, role):
    class Someone:
        is_authenticated = True

    user = Someone()
    user.role = role
    with app.test_request_context("/"):
        bar = bar_for(user, "/")
    assert len(bar) <= BAR_LIMIT, [item.label for item in bar]
    entries = sum(len(item.links) if isinstance(item, Menu) else 1 for item in bar)
    menus = [item for item in bar if isinstance(item, Menu)]
    assert all(len(menu.links) > 1 for menu in menus)   # a menu of one entry would be a plain link
    if entries <= FLAT_UP_TO:
        assert menus == []


def test_every_entry_names_a_known_menu():
    assert all(menu in MENUS for menu, *_ in NAVIGATION)


def test_the_current_page_is_marked_inside_its_menu(client, auth, world):
    auth.login("staff1")
    page = client.get("/records/corrections").get_data(as_text=True)
    assert page.count('aria-current="page"') == 1
    current = re.search(r'<a class="dropdown-item active" href="([^"]+)"\s*aria-current="page"', page)
    assert current and current.group(1) == "/records/corrections"
    assert re.search(r'class="nav-link dropdown-toggle active"[^>]*data-bs-toggle="dropdown" aria-expanded="false"',
                     page)
