"""Hostile values in every query string and every form, as several roles: never a server error, and a
refused form writes nothing. Routes come from the URL map and field names from the forms, so a new page
is probed without being listed here."""
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings, strategies as st

import linkage
from linkage.extensions import db
from linkage.forms import Form

ROLES = ["admin", "staff1", "orgadmin", "vol"]
# Leaving the session would end the probe; signing in again is covered by the log-in tests.
SKIPPED = {"auth.logout", "static", "bootstrap.static"}
HOSTILE = st.one_of(
    st.sampled_from(["99999999999999999999", "2147483648", "-2147483649", "-1", "0", "\x00", "a\x00b",
                     "9999-12-31", "0001-01-01", "9999-12-31T23:59", "0001-01-01T00:00", "", "NaN", "inf",
                     "-inf", "1e400", "x" * 5000, "\u202e\U0001F984\u01c5\ufeff", "<script>", "%", "\\"]),
    st.integers().map(str),
    st.text(max_size=20),
)
PROBE = settings(max_examples=2, deadline=None, derandomize=True, database=None,
                 suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def _all_forms(cls=Form):
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_forms(sub)


def _field_names() -> list[str]:
    """Every name a form or a view reads from a request."""
    names = {name for form in _all_forms() for name, value in vars(form).items()
             if hasattr(value, "field_class")}
    source = "\n".join(p.read_text() for p in Path(linkage.__file__).parent.rglob("views.py"))
    names |= set(re.findall(r"request\.(?:args|form)\.get\(\"(\w+)\"", source))
    return sorted(names | {"page"})


def _routes(app, method):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if method in rule.methods and rule.endpoint not in SKIPPED:
            url = re.sub(r"<int:\w+>", "1", rule.rule)
            yield rule.endpoint, re.sub(r"<[^>]+>", "x", url)


def _row_counts():
    return {table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
            for table in db.metadata.sorted_tables}


@pytest.mark.parametrize("username", ROLES)
def test_hostile_query_strings_never_fail(client, auth, world, app, username):
    auth.login(username)
    routes, names = list(_routes(app, "GET")), _field_names()

    @PROBE
    @given(values=st.fixed_dictionaries({}, optional={name: HOSTILE for name in names}))
    def probe(values):
        for endpoint, url in routes:
            status = client.get(url, query_string=values).status_code
            assert status < 500, (endpoint, url, values)

    probe()


@pytest.mark.parametrize("username", ROLES)
def test_hostile_forms_never_fail_and_refused_forms_write_nothing(client, auth, world, app, username):
    auth.login(username)
    routes, names = list(_routes(app, "POST")), _field_names()

    @PROBE
    @given(values=st.fixed_dictionaries({}, optional={name: HOSTILE for name in names}))
    def probe(values):
        for endpoint, url in routes:
            before = _row_counts()
            response = client.post(url, data=values)
            assert response.status_code < 500, (endpoint, url, values)
            if response.status_code != 302:
                assert _row_counts() == before, (endpoint, url, values)

    probe()
