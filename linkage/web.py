"""The request boundary: one unit of work per user action.

Every view that changes data goes through :func:`perform`: it validates the form (when one is
given), calls the service, commits on success, rolls back on any failure, and shows a refused rule
as plain text in the user's language: on the form field at fault, above the form, or as a flash
message when there is no form. Views never call ``commit`` or ``rollback`` themselves.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional

import sqlalchemy as sa
from flask import abort, current_app, flash, request
from flask_babel import lazy_gettext as _l
from flask_sqlalchemy.pagination import Pagination
from werkzeug.routing import IntegerConverter

from linkage.errors import Refused
from linkage.extensions import db


# PostgreSQL's "lock_not_available": a lock was not granted within LOCK_TIMEOUT_MS.
LOCK_TIMEOUT = "55P03"
BUSY = _l("Many people are doing this at the same moment, so it could not be saved. Nothing was changed; "
          "please try again.")


def is_lock_timeout(error: BaseException) -> bool:
    """The database gave up waiting for a lock (the rush is on): the user may simply try again."""
    return (isinstance(error, sa.exc.OperationalError)
            and getattr(error.orig, "sqlstate", None) == LOCK_TIMEOUT)


@dataclass
class Outcome:
    """What happened to one action: ``ok`` with the service's ``value``, or the ``refusal``.

    Truthy exactly when the action was applied, so a view can write ``if perform(...):``."""
    ok: bool
    value: Any = None
    refusal: Optional[Refused] = None

    def __bool__(self) -> bool:
        return self.ok


def show_refusal(refusal: Refused, form=None) -> None:
    """Put a refusal on the form field it names, above the form, or (no form) in a flash message.

    The message becomes a plain ``str``: flask-babel's lazy strings declare themselves safe HTML, so
    their parameters (names people typed) would otherwise escape escaping."""
    message = str(refusal.message)
    if form is None:
        flash(message, "danger")
        return
    target = getattr(form, refusal.field, None) if refusal.field else None
    if target is not None and hasattr(target, "errors") and hasattr(target, "data"):
        target.errors = list(target.errors or []) + [message]
    else:
        form.form_errors.append(message)


def perform(action: Callable[[], Any], *, form=None, done=None, category: str = "success",
            then: Optional[Callable[[Any], Any]] = None) -> Outcome:
    """Run ``action`` (a service call) as one transaction.

    ``form``: validated first (``validate_on_submit``); an unsubmitted or invalid form runs nothing
    and keeps its own field errors; a refusal is shown on it. ``done``: the flash message on success,
    or a function of the action's result that returns it (or a ``(message, category)`` pair).
    A lock not granted within ``LOCK_TIMEOUT_MS`` (PostgreSQL) rolls back and is shown like a refusal:
    busy, nothing saved, try again. Any other exception rolls back and propagates (the error handlers
    show a friendly page)."""
    if form is not None and not form.validate_on_submit():
        return Outcome(False)
    try:
        value = action()
        db.session.commit()
    except Refused as refusal:
        db.session.rollback()
        show_refusal(refusal, form)
        return Outcome(False, refusal=refusal)
    except sa.exc.OperationalError as error:
        db.session.rollback()
        if not is_lock_timeout(error):
            raise
        refusal = Refused(BUSY)
        show_refusal(refusal, form)
        return Outcome(False, refusal=refusal)
    except BaseException:
        db.session.rollback()
        raise
    if then is not None:
        try:
            then(value)
        except BaseException:
            db.session.rollback()
            raise
        db.session.commit()
    message = done(value) if callable(done) else done
    if isinstance(message, tuple):  # (message, category) chosen from the result
        message, category = message
    if message:
        flash(str(message), category)
    return Outcome(True, value)


# Row ids in paths and query strings fit a 32-bit INTEGER column; a larger number names no row.
LARGEST_ID = 2**31 - 1
# Pages beyond this are never reached by following links; deeper requests get the last page.
LARGEST_PAGE = 100_000


class IdConverter(IntegerConverter):
    """``<int:…>`` in every route: a number beyond the id columns matches no route (404), rather
    than reaching the database, which refuses it (PostgreSQL raises on out-of-range integers)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", LARGEST_ID)
        super().__init__(map, *args, **kwargs)


def id_arg(name: str) -> Optional[int]:
    """The row id a query-string parameter names, or None when it is missing or no possible id."""
    value = request.args.get(name, type=int)
    return value if value is not None and 0 < value <= LARGEST_ID else None


def paginate(query, per_page: Optional[int] = None):
    """One page of ``query`` for the ``page`` query-string parameter: a missing, non-numeric or
    non-positive page is the first; a page past the end is the last."""
    per_page = per_page or current_app.config["PER_PAGE"]
    number = min(max(request.args.get("page", 1, type=int), 1), LARGEST_PAGE)
    page = db.paginate(query, page=number, per_page=per_page, error_out=False)
    if page.pages and number > page.pages:
        page = db.paginate(query, page=page.pages, per_page=per_page, error_out=False)
    return page


class ListPagination(Pagination):
    """A page of a list already in memory (rows filtered by a rule in Python), with the same attributes as a
    query's page (the ``pager`` macro reads them)."""

    def __init__(self, rows: list, page: int, per_page: int):
        self._rows = rows
        super().__init__(page=page, per_page=per_page, error_out=False, count=True)

    def _query_items(self) -> list:
        return self._rows[self._query_offset:self._query_offset + self.per_page]

    def _query_count(self) -> int:
        return len(self._rows)


def paginate_list(rows: list, per_page: Optional[int] = None) -> ListPagination:
    """:func:`paginate` for a list in memory."""
    per_page = per_page or current_app.config["PER_PAGE"]
    number = min(max(request.args.get("page", 1, type=int), 1), LARGEST_PAGE)
    pages = max((len(rows) + per_page - 1) // per_page, 1)
    return ListPagination(rows, min(number, pages), per_page)


def refuse_unreadable_request() -> None:
    """Before every request: a NUL character in the path or the query string is refused (PostgreSQL
    cannot compare text with it); form fields say so on the field themselves (``linkage.forms``)."""
    if "\x00" in request.path:
        abort(404)
    if any("\x00" in key or "\x00" in value for key, value in request.args.items(multi=True)):
        abort(400)
