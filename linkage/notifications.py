"""In-app notifications, stored one way: a kind plus parameters, rendered in the reader's language,
and a link kept as a view's endpoint plus its arguments, turned into a URL when shown. Times are
stored as UTC instants (ISO 8601) and shown in the reader's language and time zone."""
from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime, timezone
from functools import lru_cache
from typing import Optional

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import format_date, format_datetime, get_locale, lazy_gettext as _l
from werkzeug.routing import BuildError

from linkage.extensions import db
from linkage.listing import contains
from linkage.models import Notification, User
from linkage.models.types import utcnow

MESSAGES = {
    "account_verified": _l("Your account was verified. Welcome!"),
    "account_rejected": _l("Your account was not accepted: %(reason)s"),
    "registration_with_your_username": _l(
        "Someone tried to register a new account with your username. If that was you, sign in with your "
        "existing account instead; if not, you need do nothing: no account was created."),
    "need_verified": _l("Your need \"%(title)s\" was verified and is open for service."),
    "need_rejected": _l("Your need \"%(title)s\" was not accepted: %(reason)s"),
    "need_delivered": _l("The service for \"%(title)s\" was recorded as delivered. Please rate it."),
    "need_submitted": _l("A new need waits for verification: \"%(title)s\"."),
    "need_withdrawn": _l("The need \"%(title)s\" was withdrawn."),
    "need_merged": _l("Your request \"%(title)s\" is the same as another need, so the community joined them; "
                      "you will hear of its progress there."),
    "need_expired": _l("Your need \"%(title)s\" has expired without being taken up. If you still need help, "
                       "please submit it again or call your community."),
    "need_overdue": _l("The need \"%(title)s\" is past its response target of %(hours)s hours: please verify "
                       "or turn it down."),
    "need_escalated": _l("The need \"%(title)s\" in %(community)s has had no response %(hours)s hours after its "
                         "target: it is escalated to the street."),
    "org_verified": _l("Your organization %(name)s was verified."),
    "org_rejected": _l("Your organization %(name)s was not verified: %(reason)s"),
    "org_registered": _l("A new organization waits for verification: %(name)s."),
    "org_suspended": _l("Your organization %(name)s was suspended: %(reason)s"),
    "org_blacklisted": _l("Your organization %(name)s was blacklisted and may no longer bid: %(reason)s"),
    "org_reinstated": _l("Your organization %(name)s was reinstated."),
    "project_published": _l("A new project is open for bids: %(title)s (deadline %(deadline)s)."),
    "bid_won": _l("Your bid for \"%(title)s\" won: rank %(rank)s of %(count)s, total score %(score)s."),
    "bid_lost": _l("Your bid for \"%(title)s\" did not win: rank %(rank)s of %(count)s, total score %(score)s. "
                   "The award notice says how to complain."),
    "bid_reconfirm": _l("The terms of \"%(title)s\" changed: confirm your bid again before %(deadline)s, or it "
                        "will not count."),
    "panel_assigned": _l("You were put on the expert panel of \"%(title)s\". Declare any conflict of interest "
                         "once the bidding closes, then score the bids."),
    "panel_recused": _l("%(name)s declared a conflict of interest and left the panel of \"%(title)s\"."),
    "complaint_filed": _l("%(org)s filed a complaint about the award of \"%(title)s\"."),
    "complaint_upheld": _l("Your complaint about \"%(title)s\" was upheld: the award is set aside and the bids "
                           "are evaluated again."),
    "complaint_dismissed": _l("Your complaint about \"%(title)s\" was dismissed."),
    "bid_disqualified": _l("Your bid for \"%(title)s\" was disqualified: %(reason)s"),
    "bid_disqualified_inactive": _l("Your bid for \"%(title)s\" was disqualified: the organization was not active "
                                    "when bidding closed."),
    "project_cancelled": _l("The project \"%(title)s\" was cancelled: %(reason)s"),
    "project_contracted": _l("The contract for \"%(title)s\" was recorded; the service can start."),
    "contract_to_sign": _l("The contract for \"%(title)s\" is ready: check it and sign it."),
    "contract_evaluator": _l("You were assigned to evaluate the contract for \"%(title)s\"."),
    "contract_evaluated": _l("An evaluation of your contract for \"%(title)s\" was entered."),
    "change_decided": _l("Your change request for the contract of \"%(title)s\" was decided."),
    "project_need_matched": _l("Your need \"%(title)s\" will be served by %(org)s in the project "
                               "\"%(project)s\"."),
    "shift_assigned": _l("You have a place on \"%(title)s\" at %(start)s."),
    "shift_waitlisted": _l("\"%(title)s\" is full; you are number %(position)s on the waiting list."),
    "waitlist_offer": _l("A place freed up on \"%(title)s\" at %(start)s and is offered to you: accept or decline "
                         "it by %(deadline)s, otherwise it passes to the next person."),
    "waitlist_offer_reminder": _l("Your offer of a place on \"%(title)s\" expires at %(deadline)s: accept or "
                                  "decline it now."),
    "waitlist_offer_expired": _l("The place offered to you on \"%(title)s\" was not accepted in time and passed "
                                 "to the next person; you are no longer on the waiting list."),
    "shift_cancelled": _l("\"%(title)s\" at %(start)s was cancelled: %(reason)s"),
    "shift_reminder": _l("Reminder: \"%(title)s\" starts at %(start)s at %(place)s. Please come ten minutes "
                         "early and check in with the code the lead shows."),
    "shift_updated": _l("\"%(title)s\" was changed (%(changes)s). It now runs from %(start)s to %(end)s at "
                        "%(place)s."),
    "signup_cancelled": _l("%(name)s gave up their place on \"%(title)s\" at %(start)s."),
    "signup_no_show": _l("You were recorded as absent from \"%(title)s\" at %(start)s."),
    "signup_blocked": _l("After %(count)s no-shows you cannot sign up by yourself until %(until)s."),
    "hours_approved": _l("%(hours)s hours on \"%(title)s\" were confirmed."),
    "hours_declined": _l("Hours on \"%(title)s\" were declined: %(reason)s"),
    "hours_declined_short": _l("You were checked out of \"%(title)s\" after %(minutes)s minutes, less than "
                               "%(percent)s %% of the shift, so the hours were declined."),
    "match_approved": _l("Match run %(run)s was approved."),
    "meeting_convened": _l("You are invited to the joint meeting \"%(title)s\" on %(start)s at %(place)s."),
    "meeting_cancelled": _l("The joint meeting \"%(title)s\" on %(start)s was cancelled: %(reason)s"),
    "meeting_decision": _l("The joint meeting \"%(title)s\" gave you a decision to carry out by %(due)s: %(text)s"),
    "case_assigned": _l("A case was assigned to you: %(title)s."),
    "case_approval_requested": _l("A case waits for your approval: %(title)s."),
    "case_approved": _l("Your supervisor approved the case \"%(title)s\"."),
    "case_sent_back": _l("Your supervisor sent the case \"%(title)s\" back with a comment."),
    "case_referred": _l("You were asked to help on the case \"%(title)s\"."),
    "referral_answered": _l("%(name)s answered your referral on the case \"%(title)s\"."),
    "case_transfer_offered": _l("The case \"%(title)s\" is offered to you: accept or decline it."),
    "case_transfer_answered": _l("%(name)s answered the transfer of the case \"%(title)s\"."),
    "skill_certificate_approved": _l("Your certificate for %(skill)s was approved; it counts until %(date)s."),
    "skill_certificate_rejected": _l("Your certificate for %(skill)s was not accepted: %(reason)s"),
    "skill_certificate_granted": _l("Your attendance at the training \"%(title)s\" was confirmed: you hold the "
                                    "certificate for %(skill)s until %(date)s."),
    "match_not_placed": _l("You were not placed on \"%(title)s\" this time; you stay on its waiting list."),
    "follow_up_opened": _l("A resident rated the visit \"%(title)s\" %(rating)s of 5: please follow it up."),
}

# Kinds no longer sent, kept so that the messages already stored still read.
RETIRED = {
    "shift_promoted": _l("A place freed up on \"%(title)s\" at %(start)s and it is now yours."),
}
# Every message a stored notification may read: the kinds sent and the retired ones.
READABLE = {**MESSAGES, **RETIRED}


# What a notification is about, for the list's filter: each group and the beginnings of the kinds in it.
GROUPS = {
    "accounts": (_l("Accounts"), ("account_", "registration_")),
    "needs": (_l("Needs"), ("need_", "project_need_")),
    "organizations": (_l("Organizations"), ("org_",)),
    "projects": (_l("Projects and bids"), ("project_published", "project_cancelled", "project_contracted", "bid_",
                                           "panel_", "complaint_")),
    "contracts": (_l("Contracts"), ("contract_", "change_")),
    "shifts": (_l("Shifts"), ("shift_", "waitlist_", "signup_", "match_not_placed")),
    "hours": (_l("Hours"), ("hours_",)),
    "cases": (_l("Cases"), ("case_", "referral_")),
    "meetings": (_l("Joint meetings"), ("meeting_",)),
    "skills": (_l("Skills"), ("skill_",)),
    "other": (_l("Other"), ("match_approved", "follow_up_")),
}


def kinds_in(group: str) -> list[str]:
    """The kinds (sent or retired) of a group of :data:`GROUPS`."""
    starts = GROUPS[group][1]
    return sorted(kind for kind in READABLE if kind.startswith(starts))


# Parameters that are moments in time: passed as aware datetimes, stored as UTC ISO 8601 text.
TIME_PARAMS = frozenset({"start", "end", "deadline", "until"})
DATE_PARAMS = frozenset({"due"})   # calendar days (``date``), shown in the reader's language
# What changed on a shift: stored as these codes (comma-separated, in the ``changes`` parameter) and
# named in the reader's language when shown.
CHANGE_LABELS = {
    "time": _l("time"), "place": _l("place"), "title": _l("title"), "description": _l("what volunteers will do"),
    "slots": _l("places per skill"), "lead": _l("lead social worker"), "insurance": _l("accident insurance"),
}
CHANGE_KINDS = frozenset({"shift_updated"})


def link(endpoint: str, **args) -> tuple[str, dict]:
    """Where a notification leads: ``link("shifts.detail", shift_id=3)``."""
    return endpoint, args


def _stored(key: str, value):
    if key in DATE_PARAMS:
        if not isinstance(value, date) or isinstance(value, datetime):
            raise TypeError(f"notification parameter {key!r} must be a date")
        return value.isoformat()
    if key in TIME_PARAMS:
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise TypeError(f"notification parameter {key!r} must be an aware datetime")
        return value.astimezone(timezone.utc).isoformat()
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise TypeError(f"notification parameter {key!r} must be plain text or a number (never translated text)")
    return value


def notify(users: Iterable[Optional[User | int]], kind: str, link: Optional[tuple[str, dict]] = None,
           **params) -> None:
    """Queue a message for each user (ids or users; None entries are skipped). ``link`` comes from
    :func:`link`; time parameters (``TIME_PARAMS``) are aware datetimes."""
    if kind not in MESSAGES:
        raise KeyError(kind)
    endpoint, args = link or ("", {})
    if endpoint and endpoint not in current_app.view_functions:
        raise KeyError(endpoint)
    stored = {key: _stored(key, value) for key, value in params.items()}
    seen = set()
    for user in users:
        user_id = getattr(user, "id", user)
        if user_id is None or user_id in seen:
            continue
        seen.add(user_id)
        db.session.add(Notification(user_id=user_id, kind=kind, params=dict(stored), link_endpoint=endpoint,
                                    link_args=dict(args)))


def _shown(key: str, value):
    if key in DATE_PARAMS and isinstance(value, str):
        try:
            return format_date(date.fromisoformat(value))
        except ValueError:
            return value
    if key in TIME_PARAMS and isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        return format_datetime(moment, "short") if moment.tzinfo else value  # naive: older local text
    return value


def changes_text(codes: str) -> str:
    """The ``changes`` parameter as a list in the reader's language: "time, place" or "时间、地点"."""
    names = [str(CHANGE_LABELS[code]) for code in (codes or "").split(",") if code in CHANGE_LABELS]
    if not names:
        return str(_l("details"))
    return str(_l(", ")).join(names)


def render(notification: Notification) -> str:
    """The message in the reader's language, times in the reader's time zone."""
    template = READABLE.get(notification.kind)
    if template is None:
        return ""
    params = {key: _shown(key, value) for key, value in (notification.params or {}).items()}
    if notification.kind in CHANGE_KINDS:  # stored before changes were listed: "details"
        params["changes"] = changes_text(params.get("changes", ""))
    try:
        return str(template) % params
    except (KeyError, TypeError, ValueError):
        return str(template)


def url(notification: Notification) -> Optional[str]:
    """The page the notification leads to, or None."""
    if not notification.link_endpoint:
        return None
    try:
        return url_for(notification.link_endpoint, **(notification.link_args or {}))
    except BuildError:
        return None


def unread_count(user: User) -> int:
    return db.session.scalar(sa.select(sa.func.count(Notification.id)).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


def select_for(user: User, *, unread: bool = False, group: Optional[str] = None, text: Optional[str] = None):
    """The user's notifications, newest first, by when each happened: only the unread ones, only those of one
    ``group``, only those whose message as the reader sees it holds ``text`` (see :func:`_saying`), if asked.
    The one query of notifications: the list, its search and "mark as read" all go through it."""
    return (sa.select(Notification).where(*_conditions(user, unread=unread, group=group, text=text))
            .order_by(Notification.created_at.desc(), Notification.id.desc()))


def _conditions(user: User, *, unread: bool, group: Optional[str], text: Optional[str]) -> list:
    conditions = [Notification.user_id == user.id]
    if unread:
        conditions.append(Notification.read_at.is_(None))
    kinds = kinds_in(group) if group in GROUPS else None
    if kinds is not None:
        conditions.append(Notification.kind.in_(kinds))
    if text:
        conditions.append(_saying(text, kinds))
    return conditions


# A parameter in a message: ``%(title)s``.
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _fixed_words(template) -> str:
    """A message's own words in the reader's language, each parameter replaced by a NUL (no search holds
    one: requests with a NUL are refused), so that words found here never run into a parameter's."""
    return PLACEHOLDER.sub("\x00", str(template)).replace("%%", "%").casefold()


def _fixed_words_by_kind() -> dict[str, str]:
    """Every readable message's own words (see :func:`_fixed_words`) by kind, in the reader's language."""
    return _fixed_words_in(str(get_locale()))


@lru_cache(maxsize=8)
def _fixed_words_in(locale: str) -> dict[str, str]:
    """The messages' own words by kind in ``locale``, worked out once per language: ``locale`` is the one
    the messages are translated to when this runs (the caller's, :func:`_fixed_words_by_kind`)."""
    return {kind: _fixed_words(template) for kind, template in READABLE.items()}


def searched_params(kinds: Optional[Iterable[str]] = None) -> list[str]:
    """The parameters whose words the messages of ``kinds`` (default: every kind) show as they are: times and
    days are shown formatted and what changed on a shift by name, so those are not among them."""
    names = {name for kind in _in_play(kinds) for name in PLACEHOLDER.findall(str(READABLE[kind]))}
    return sorted(names - TIME_PARAMS - DATE_PARAMS - {"changes"})


def _in_play(kinds: Optional[Iterable[str]]) -> list[str]:
    """The kinds a search looks at: ``kinds`` that have a message, or every kind."""
    return sorted(READABLE) if kinds is None else [kind for kind in kinds if kind in READABLE]


def _saying(text: str, kinds: Optional[list[str]] = None):
    """SQL condition on ``Notification``: the message, as the reader sees it, holds ``text`` (any case) within
    its own words (in the reader's language), within a parameter's words, or within the names of what changed
    on a shift. Times and days are shown formatted, so they are not searched. ``kinds``: the only kinds the
    search looks at (default: every kind); only the parameters their messages show are looked up."""
    needle = text.casefold()
    in_play = _in_play(kinds)
    fixed = _fixed_words_by_kind()
    worded = [kind for kind in in_play if needle in fixed[kind]]
    found = [Notification.kind.in_(worded)] if worded else []
    found += [contains(Notification.params[key].as_string(), text) for key in searched_params(kinds)]
    codes = [code for code, label in CHANGE_LABELS.items() if needle in str(label).casefold()]
    changing = sorted(CHANGE_KINDS.intersection(in_play))
    if codes and changing:
        found.append(sa.and_(Notification.kind.in_(changing), sa.or_(
            *[contains(Notification.params["changes"].as_string(), code) for code in codes])))
    return sa.or_(*found) if found else sa.false()


def mark_read(user: User, *, unread: bool = False, group: Optional[str] = None, text: Optional[str] = None) -> None:
    """Mark as read the unread notifications :func:`select_for` lists for the same filters (no filter: all)."""
    db.session.execute(
        sa.update(Notification).where(*_conditions(user, unread=True, group=group, text=text))
        .values(read_at=utcnow()).execution_options(synchronize_session=False))
