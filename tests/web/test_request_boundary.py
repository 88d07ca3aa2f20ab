"""The request boundary: ``perform`` owns the transaction and shows refusals; views never commit."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import get_flashed_messages
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired

from linkage.errors import Refused
from linkage.extensions import db
from linkage.models import Region, RegionLevel
from linkage.web import perform

ROOT = Path(__file__).resolve().parents[2]


class NameForm(FlaskForm):
    name = StringField(validators=[DataRequired()])


def add_region(name="Riverside"):
    """What a service does: add a row and flush, never commit."""
    region = Region(name=name, name_en=name, level=RegionLevel.district, code=f"T-{name}")
    db.session.add(region)
    db.session.flush()
    return region


def stored(name="Riverside") -> int:
    """Rows committed under ``name``: whatever was not committed is dropped first."""
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(Region).where(Region.name == name))


def refuse(message="Not now.", field=None):
    def action():
        add_region()
        raise Refused(message, field=field)
    return action


@pytest.fixture
def post(app):
    """A POST request context with ``data`` as its form."""
    def enter(**data):
        return app.test_request_context("/", method="POST", data=data)
    return enter


def test_success_commits_and_flashes_the_message(app, post):
    with post(name="Riverside"):
        form = NameForm()
        outcome = perform(lambda: add_region(form.name.data), form=form, done="Saved.")
        assert outcome and outcome.value.name == "Riverside"
        assert get_flashed_messages(with_categories=True) == [("success", "Saved.")]
    assert stored() == 1


def test_the_message_can_depend_on_the_result_and_choose_its_category(app, post):
    with post():
        outcome = perform(add_region, done=lambda region: (f"{region.name} is full.", "warning"))
        assert outcome
        assert get_flashed_messages(with_categories=True) == [("warning", "Riverside is full.")]


def test_a_second_step_runs_after_the_first_is_committed_and_is_committed_too(app, post):
    seen = []

    def then(region):
        seen.append(stored("Riverside"))  # the first step is already committed when this runs
        add_region("Hillside")

    with post():
        assert perform(add_region, then=then)
    assert seen == [1] and stored("Hillside") == 1


def test_a_failing_second_step_keeps_the_first_and_writes_nothing_of_its_own(app, post):
    def then(region):
        add_region("Hillside")
        raise RuntimeError("the queue is down")

    with post(), pytest.raises(RuntimeError):
        perform(add_region, then=then)
    assert stored("Riverside") == 1 and stored("Hillside") == 0


def test_a_refusal_rolls_back_and_writes_nothing(app, post):
    with post(name="Riverside"):
        form = NameForm()
        outcome = perform(refuse("Not now."), form=form, done="Saved.")
        assert not outcome and str(outcome.refusal) == "Not now."
        assert get_flashed_messages() == []
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Region)) == 0
    assert stored() == 0


def test_a_refusal_naming_a_field_goes_on_that_field_and_the_input_stays(app, post):
    with post(name="Riverside"):
        form = NameForm()
        perform(refuse("Taken.", field="name"), form=form)
        assert form.name.errors == ["Taken."] and form.form_errors == []
        assert form.name.data == "Riverside"


@pytest.mark.parametrize("field", [None, "nonexistent", "validate"])
def test_a_refusal_without_a_matching_field_goes_above_the_form(app, post, field):
    with post(name="Riverside"):
        form = NameForm()
        perform(refuse("Closed.", field=field), form=form)
        assert form.form_errors == ["Closed."] and form.name.errors == []


def test_without_a_form_a_refusal_is_a_flash_message(app, post):
    with post():
        assert not perform(refuse("Closed."), done="Saved.")
        assert get_flashed_messages(with_categories=True) == [("danger", "Closed.")]
    assert stored() == 0


def test_the_message_is_plain_text_even_when_lazy(app, post):
    from flask_babel import lazy_gettext

    with post(name="x"):
        form = NameForm()
        perform(refuse(lazy_gettext("Hello %(name)s", name="<b>")), form=form)
        assert form.form_errors == ["Hello <b>"] and type(form.form_errors[0]) is str


@pytest.mark.parametrize("data", [{}, {"name": ""}])
def test_an_invalid_or_unsubmitted_form_runs_nothing(app, post, data):
    calls = []
    with post(**data):
        form = NameForm()
        outcome = perform(lambda: calls.append(1), form=form, done="Saved.")
        assert not outcome and outcome.refusal is None
        assert form.name.errors and get_flashed_messages() == []
    with app.test_request_context("/"):  # a GET is not a submission
        assert not perform(lambda: calls.append(1), form=NameForm())
    assert calls == []


def test_another_error_rolls_back_and_propagates(app, post):
    def broken():
        add_region()
        raise KeyError("bug")

    with post():
        with pytest.raises(KeyError):
            perform(broken, done="Saved.")
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Region)) == 0
        assert get_flashed_messages() == []
    assert stored() == 0


def session_calls(source: str) -> list[str]:
    """Lines using ``<anything>.session.commit``/``rollback`` (called or passed along) in ``source``."""
    return [f"{node.lineno}: session.{node.attr}" for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Attribute) and node.attr in ("commit", "rollback")
            and isinstance(node.value, ast.Attribute) and node.value.attr == "session"]


def test_views_leave_the_transaction_to_the_boundary():
    views = {str(path.relative_to(ROOT)): path for path in (ROOT / "linkage").glob("**/views.py")}
    assert len(views) >= 10 and "linkage/matching/views.py" in views
    offenders = {name: session_calls(path.read_text(encoding="utf-8")) for name, path in views.items()}
    assert {name: lines for name, lines in offenders.items() if lines} == {}


def test_the_guard_sees_commits_and_rollbacks():
    source = "def view():\n    db.session.commit()\n    finish = db.session.rollback\n    db.session.flush()\n"
    assert sorted(session_calls(source)) == ["2: session.commit", "3: session.rollback"]
