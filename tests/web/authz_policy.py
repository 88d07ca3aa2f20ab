"""The authorization policy: who may use each route, and on which object.

This table is the declaration the matrix test (tests/web/test_authorization_matrix.py) holds the
application to. It is written by hand from PRODUCT.md's roles and scopes, not computed from the
``access.py`` modules, so that a rule changed there shows up here as a difference.

Roles (the columns) are people of one small district with two of everything::

    district
    ├── street X ── community A (grid A) ── resident, volunteer A, community staff A, grid worker A
    │               organization A (service area street X): its admin and a social worker
    └── street Y ── community B ── volunteer B, community staff B
                    organization B (service area street Y): its admin

Civil affairs staff work for street X, street Y or the whole district; the expert and the observer
for street X; an organization admin without an organization yet; the site admin.

Objects (the rows' arguments) come in pairs, one in each scope; ``OBJECTS`` says what each is.
Every rule lists, per object, the roles that may use it; every other signed-in role is refused
(403, or 404 where the rule names it ``missing``), and anonymous visitors are sent to log in unless
the rule is ``public``. An allowed GET answers 200 (or, where the rule says ``moved``, sends the user
on); an allowed POST is done or its form shown again. For POST, refused means refused *and* nothing
written.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

# --- roles ------------------------------------------------------------------------------------------

ROLES = {
    "anonymous": "not signed in",
    "resident": "resident of community A, with their own need",
    "volunteer_a": "volunteer living in community A (street X), signed up for shift X",
    "volunteer_b": "volunteer living in community B (street Y), signed up for shift Y",
    "social_worker_a": "social worker of organization A, leading and having created shift X",
    "org_admin_a": "admin of organization A (active)",
    "org_admin_b": "admin of organization B (registered, not yet verified)",
    "org_admin_new": "organization admin who has not registered an organization yet",
    "staff_a": "community staff of community A",
    "staff_b": "community staff of community B",
    "grid_a": "grid worker of a grid in community A",
    "civil_x": "civil affairs staff of street X",
    "civil_y": "civil affairs staff of street Y",
    "civil_district": "civil affairs staff of the district",
    "expert_x": "expert evaluator for street X",
    "observer_x": "observer of street X",
    "admin": "site admin",
}
SIGNED_IN = frozenset(ROLES) - {"anonymous"}

OBJECTS = {
    "resident_a": "a resident of community A (the resident's own record)",
    "resident_b": "a resident of community B",
    "report_for_a": "the need form for resident A (?resident=)",
    "report_for_b": "the need form for resident B (?resident=)",
    "need_a": "the resident's submitted need, community A",
    "need_b": "a submitted need of a resident of community B",
    "joinable_a": "an open need of a neighbour of the resident in community A, of the same kind (?resident=)",
    "joinable_b": "need B, with its own resident (?resident=)",
    "photo_a": "a photo of need A", "photo_b": "a photo of need B",
    "pending_a": "a volunteer account of community A waiting for verification",
    "pending_b": "a volunteer account of community B waiting for verification",
    "org_a": "organization A", "org_b": "organization B",
    "worker_a": "organization A's social worker", "worker_b": "organization B's social worker",
    "project_x": "a published project of street X, organization A's sealed bid on it",
    "project_y": "a published project of street Y, organization B's sealed bid on it",
    "draft_x": "a draft project of street X", "draft_y": "a draft project of street Y",
    "closed_x": "a project of street X, bidding closed, one bid", "closed_y": "the same in street Y",
    "bid_x": "organization A's bid on project X", "bid_y": "organization B's bid on project Y",
    "seat_x": "expert X's seat (joined) on the panel of the closed project X",
    "seat_y": "another expert's seat on the panel of the closed project Y",
    "notice_x": "the running project X won by organization A (its award notice)",
    "notice_y": "the running project Y won by organization B (its award notice)",
    "complaint_x": "organization A's complaint about running project X",
    "complaint_y": "organization B's complaint about running project Y",
    "for_running_x": "a running project of street X won by organization A (?project= of a new shift)",
    "for_running_y": "a running project of street Y won by organization B (?project= of a new shift)",
    "shift_x": "a shift of the running project X in community A, led by social worker A",
    "shift_y": "a shift of the running project Y in community B",
    "activity_a": "a community activity of community A", "activity_b": "a community activity of community B",
    "sign_up_x": "volunteer A's place on shift X", "sign_up_y": "volunteer B's place on shift Y",
    "contract_x": "the signed contract of running project X with organization A, expert X its evaluator",
    "contract_y": "the signed contract of running project Y with organization B",
    "installment_x": "the mid-term installment of contract X", "installment_y": "the same of contract Y",
    "document_x": "a report organization A uploaded to contract X", "document_y": "the same, B on Y",
    "change_x": "organization A's pending change request on contract X", "change_y": "the same, B on Y",
    "code_x": "a check-in code (QR) of shift X, as its lead shows it",
    "code_y": "a check-in code (QR) of shift Y",
    "feed": "the calendar feed secret of a volunteer with no sign-ups (the secret is the key: no log-in)",
    "record_a": "volunteer A's record, by their volunteer number",
    "record_b": "volunteer B's record, by their volunteer number",
    "certificate_a": "volunteer A's issued service certificate (community A)",
    "certificate_b": "volunteer B's issued service certificate (community B)",
    "run_x": "a match run of street X started by civil affairs X",
    "run_y": "a match run of street Y started by civil affairs Y",
    "run_sw": "a match run of street X started by social worker A",
    "case_a": "a case of resident A owned by organization A's social worker, with a note",
    "case_b": "a case of resident B owned by organization B's social worker",
    "case_document_a": "a document on case A", "case_document_b": "a document on case B",
    "meeting_a": "a joint meeting of community A held yesterday (staff A convened it; volunteer A and social "
                 "worker A took part)",
    "meeting_b": "a joint meeting of community B held yesterday (staff B convened it; volunteer B took part)",
    "decision_a": "meeting A's open decision, volunteer A its owner",
    "decision_b": "meeting B's open decision, volunteer B its owner",
    "skill_claim_a": "volunteer A's first-aid certificate, waiting for a social worker of street X",
    "skill_claim_b": "volunteer B's first-aid certificate, waiting for a social worker of street Y",
    "supervised_a": "volunteer A (a place on shift X, led by social worker A): their supervision notes",
    "supervised_b": "volunteer B (a place on shift Y, approved hours on a shift social worker A led): their "
                    "supervision notes",
    "minor_a": "a minor volunteer of community A, a guardian's consent on file",
    "minor_b": "a minor volunteer of community B, a guardian's consent on file",
    "consent_a": "the signed consent form of minor A", "consent_b": "the signed consent form of minor B",
    "exception_a": "a day volunteer A said they are away", "exception_b": "a day volunteer B said they are away",
    "visit_a": "a visit to the resident's need in community A (a shift closed as done, someone attended)",
    "visit_b": "a visit to a need of a resident of community B",
    "follow_up_a": "the open follow-up of a low rating of a visit in community A",
    "follow_up_b": "the open follow-up of a low rating of a visit in community B",
    "area_a": "community A as the dashboard's area (?area=)",
    "area_b": "community B as the dashboard's area (?area=)",
    "category": "a category of the service taxonomy", "skill": "a volunteer skill",
    "region": "a grid of community B (the region tree)",
    "resident_consent_a": "the resident's consent to keeping their data (community A)",
    "resident_consent_b": "resident B's consent to keeping their data (community B)",
    "import_volunteers_a": "a spreadsheet of volunteers community staff A is previewing (one faulty row)",
    "import_needs_a": "a spreadsheet of needs community staff A is previewing (one faulty row)",
    "import_a": "a spreadsheet of residents community staff A uploaded and is previewing (one faulty row)",
    "account": "an account (the admin's account pages)", "setting": "a locality setting",
    "stylesheet": "the site's style sheet", "bootstrap_stylesheet": "Bootstrap's style sheet",
}


@dataclass(frozen=True)
class On:
    """The roles that may use a route on one object (None: a route without an object)."""
    allowed: frozenset
    missing: frozenset = frozenset()  # roles told the object does not exist for them (404)
    moved: frozenset = frozenset()  # allowed roles a GET sends on elsewhere (not to log in)


@dataclass(frozen=True)
class Route:
    methods: tuple
    cases: dict  # object name (or None) → On
    public: bool = False  # anonymous visitors may use it too
    args: dict = field(default_factory=dict)  # fixed path values, e.g. which verb of <any(...)>


def on(*roles, missing=()) -> On:
    return On(frozenset(roles), frozenset(missing))


def everyone(*methods: str) -> Route:
    return Route(methods, {None: On(SIGNED_IN)}, public=True)


def signed_in(*methods: str) -> Route:
    return Route(methods, {None: On(SIGNED_IN)})


def only(methods, *roles) -> Route:
    return Route(tuple(methods), {None: on(*roles)})


def per_object(methods, cases: dict, **args) -> Route:
    return Route(tuple(methods), cases, args=args)


GET, POST, BOTH = ("GET",), ("POST",), ("GET", "POST")

# --- groups -----------------------------------------------------------------------------------------

CIVIL = {"civil_x", "civil_y", "civil_district"}
CIVIL_X = {"civil_x", "civil_district", "admin"}          # manage street X: its staff, the district's, admins
CIVIL_Y = {"civil_y", "civil_district", "admin"}
RESIDENT_DESK = {"staff_a", "staff_b", "grid_a", "admin"}  # keep the residents' register
NEED_READERS = RESIDENT_DESK | CIVIL | {"observer_x"}
ORGS = {"org_admin_a", "org_admin_b", "org_admin_new", "social_worker_a"}
SHIFT_LISTS = ORGS | CIVIL | {"volunteer_a", "volunteer_b", "staff_a", "staff_b", "observer_x", "admin"}
RUNNERS = CIVIL | {"social_worker_a", "admin"}
ORG_WORK = {"org_admin_a", "org_admin_b", "social_worker_a"}   # an organization's work, in its district
DASHBOARD_READERS = CIVIL | ORGS | {"staff_a", "staff_b", "observer_x", "admin"}
VOLUNTEERS = {"volunteer_a", "volunteer_b"}
RECORD_KEEPERS = {"staff_a", "staff_b", *CIVIL, "admin"}   # keep volunteers' records of their area
RECORD_OF = {"record_a": on("staff_a", *CIVIL_X, missing=["staff_b", "civil_y"]),
             "record_b": on("staff_b", *CIVIL_Y, missing=["staff_a", "civil_x"])}

# Who runs each shift (roster, check-in, hours, close) and who edits it (edit, cancel).
RUNS_SHIFT = {"shift_x": on("social_worker_a", "org_admin_a", "staff_a", "admin"),
              "shift_y": on("org_admin_b", "staff_b", "admin")}
EDITS_SHIFT = {"shift_x": on("social_worker_a", "org_admin_a", "admin"), "shift_y": on("org_admin_b", "admin"),
               "activity_a": on("staff_a", "admin"), "activity_b": on("staff_b", "admin")}
NEED_MANAGERS = {"need_a": on("staff_a", "admin"), "need_b": on("staff_b", "admin")}
ACCOUNT_VERIFIERS = {"pending_a": on("staff_a", *CIVIL_X), "pending_b": on("staff_b", *CIVIL_Y)}
PROJECT_MANAGERS = {"project_x": on(*CIVIL_X), "project_y": on(*CIVIL_Y)}
RUN_READERS = {"run_x": on(*CIVIL_X), "run_y": on(*CIVIL_Y), "run_sw": on("social_worker_a", *CIVIL_X)}
# A case is read and worked only by its owner (their supervisors and those a referral names are not among
# the roles): another organization's social worker, the organization's admin, community staff, civil
# affairs and site admins are all refused.
CASE_OWNERS = {"case_a": on("social_worker_a"), "case_b": on()}
MEETING_RUNNERS = {"meeting_a": on("staff_a", "civil_x", "civil_district", "admin"),
                   "meeting_b": on("staff_b", "civil_y", "civil_district", "admin")}
MEETING_READERS = {"meeting_a": on("staff_a", "civil_x", "civil_district", "admin", "observer_x", "volunteer_a",
                                   "social_worker_a"),
                   "meeting_b": on("staff_b", "civil_y", "civil_district", "admin", "volunteer_b")}
DECISION_CLOSERS = {"decision_a": on("volunteer_a", "staff_a", "civil_x", "civil_district", "admin"),
                    "decision_b": on("volunteer_b", "staff_b", "civil_y", "civil_district", "admin")}
CASE_LISTS = {"social_worker_a", "org_admin_a", "org_admin_b", "org_admin_new"}
OWN_WORKERS = {"worker_a": on("org_admin_a"), "worker_b": on("org_admin_b")}
CONTRACT_MANAGERS = {"contract_x": on(*CIVIL_X), "contract_y": on(*CIVIL_Y)}
CONTRACT_READERS_X = {"org_admin_a", "social_worker_a", "expert_x", *CIVIL_X}
CONTRACT_READERS_Y = {"org_admin_b", *CIVIL_Y}

# Supervision notes on a volunteer: read by social workers and staff of the volunteer's area and by the lead of
# a shift they held a place on; written by that lead only; the volunteer never sees them.
# Social worker A led a shift in community B that volunteer B served on (their approved hours), so they
# are volunteer B's lead too, though street Y is not their area.
NOTE_READERS = {"supervised_a": {"social_worker_a", "staff_a", *CIVIL_X},
                "supervised_b": {"social_worker_a", "staff_b", *CIVIL_Y}}
NOTE_WRITERS = {"supervised_a": {"social_worker_a"}, "supervised_b": {"social_worker_a"}}

# Public pages of a project: every published one to everyone; a draft exists for nobody (anonymous included).
PUBLIC_PROJECTS = {**{obj: On(SIGNED_IN) for obj in ("project_x", "project_y", "closed_x", "closed_y",
                                                     "notice_x", "notice_y")},
                   **{obj: On(frozenset(), missing=frozenset(ROLES)) for obj in ("draft_x", "draft_y")}}

# --- the table: every route of the application ------------------------------------------------------

CONSENT_KEEPERS = {"minor_a": on("staff_a", "social_worker_a", missing=["staff_b"]),
                   "minor_b": on("staff_b", missing=["staff_a", "social_worker_a"])}

POLICY: dict[str, Route] = {
    # Public pages and files.
    "static": Route(GET, {"stylesheet": On(SIGNED_IN)}, public=True),
    "bootstrap.static": Route(GET, {"bootstrap_stylesheet": On(SIGNED_IN)}, public=True),
    "main.home": everyone("GET"),
    "auth.login": Route(BOTH, {None: On(SIGNED_IN, moved=SIGNED_IN)}, public=True),  # signed in: home
    "auth.register": everyone("GET", "POST"),
    "auth.language": Route(POST, {None: On(SIGNED_IN)}, public=True, args={"code": "en"}),

    # The public transparency page and each purchase's open contracting data: anyone, signed in or not,
    # every project once published (running ones with their award notice), never a draft.
    "public.index": everyone("GET"),
    "public.project": Route(GET, PUBLIC_PROJECTS, public=True),
    "public.ocds_releases": Route(GET, PUBLIC_PROJECTS, public=True),
    "public.ocds_record": Route(GET, PUBLIC_PROJECTS, public=True),

    # Operators' probes and metrics: no log-in, no personal data (/metrics answers the loopback
    # address, or a bearer token when LINKAGE_METRICS_TOKEN is set; the test client is loopback).
    "operations.healthz": everyone("GET"),
    "operations.readyz": everyone("GET"),
    "operations.metrics_page": everyone("GET"),

    # Anyone signed in: their own notifications, password, log-out.
    "main.notifications": signed_in("GET"),
    "main.notifications_read": signed_in("POST"),
    "auth.password": signed_in("GET", "POST"),
    "auth.logout": signed_in("POST"),

    # Site administration; civil affairs read their region's part of the audit trail.
    "admin.users": only(GET, "admin"),
    "admin.user_new": only(BOTH, "admin"),
    "admin.user_status": per_object(POST, {"account": on("admin")}, status="active"),
    "admin.settings_page": only(GET, "admin"),
    "admin.setting_change": per_object(POST, {"setting": on("admin")}),
    "admin.setting_reset": per_object(POST, {"setting": on("admin")}),
    "admin.response_targets": only(BOTH, "admin"),
    # The service taxonomy and the region tree: site admins only.
    "admin.taxonomy_page": only(GET, "admin"),
    "admin.category_add": only(POST, "admin"),
    "admin.skill_add": only(POST, "admin"),
    "admin.regions_page": only(GET, "admin"),
    "admin.region_add": only(POST, "admin"),
    "admin.names_edit": per_object(BOTH, {"category": on("admin"), "skill": on("admin"), "region": on("admin")}),
    "admin.retire": per_object(POST, {"category": on("admin"), "skill": on("admin"), "region": on("admin")}),
    "admin.audit": only(GET, "admin", *CIVIL),
    "admin.audit_verify": only(POST, "admin"),

    # The community desk: residents of one's own community (grid workers: their grid's community).
    "community.residents": only(GET, *RESIDENT_DESK),
    "community.resident_new": only(BOTH, *RESIDENT_DESK),
    # Lists as spreadsheets: whoever reads the list, with the list's own scope (the matrix checks the
    # .csv names nobody out of scope).
    "community.residents_export": Route(GET, {None: on(*RESIDENT_DESK)}, args={"kind": "csv"}),
    "community.needs_export": Route(GET, {None: on(*NEED_READERS)}, args={"kind": "csv"}),
    # Importing residents: those who register them; a kept upload is its uploader's alone (404 to others).
    "imports.residents": only(BOTH, *RESIDENT_DESK),
    "imports.residents_template": Route(GET, {None: on(*RESIDENT_DESK)}, args={"kind": "csv"}),
    "imports.residents_preview": per_object(GET, {"import_a": on("staff_a", missing=["staff_b", "grid_a", "admin"])}),
    "imports.residents_confirm": per_object(POST, {"import_a": on("staff_a", missing=["staff_b", "grid_a", "admin"])}),
    # Dashboards: civil affairs and observers their region, community staff their community, organizations
    # their work in their district (an admin without an organization yet: an empty page), admins all. An area
    # outside the reader's region is refused; the CSV of a table follows the page's rule.
    "dashboards.index": per_object(GET, {None: on(*DASHBOARD_READERS),
                                         "area_a": on("staff_a", "civil_x", "civil_district", "observer_x", *ORG_WORK,
                                                      "admin"),
                                         "area_b": on("staff_b", "civil_y", "civil_district", *ORG_WORK, "admin")}),
    "dashboards.table_csv": per_object(GET, {None: on(*DASHBOARD_READERS - {"org_admin_new"},
                                                      missing=["org_admin_new"]),
                                             "area_a": on("staff_a", "civil_x", "civil_district", "observer_x",
                                                          *ORG_WORK, "admin"),
                                             "area_b": on("staff_b", "civil_y", "civil_district", *ORG_WORK, "admin")},
                                       name="needs-by-sector"),
    # Volunteers and needs: community staff (and admins) import them; a kept file is its uploader's only.
    "imports.volunteers": only(BOTH, "staff_a", "staff_b", "admin"),
    "imports.volunteers_template": Route(GET, {None: on("staff_a", "staff_b", "admin")}, args={"kind": "csv"}),
    "imports.volunteers_preview": per_object(GET, {"import_volunteers_a": on("staff_a", missing=["staff_b", "admin"])}),
    "imports.volunteers_confirm": per_object(POST, {"import_volunteers_a": on("staff_a", missing=["staff_b", "admin"])}),
    "imports.needs": only(BOTH, "staff_a", "staff_b", "admin"),
    "imports.needs_template": Route(GET, {None: on("staff_a", "staff_b", "admin")}, args={"kind": "csv"}),
    "imports.needs_preview": per_object(GET, {"import_needs_a": on("staff_a", missing=["staff_b", "admin"])}),
    "imports.needs_confirm": per_object(POST, {"import_needs_a": on("staff_a", missing=["staff_b", "admin"])}),
    # The on-time report of the needs in one's scope: community staff, civil affairs, admins.
    "community.on_time": only(GET, "staff_a", "staff_b", "admin", *CIVIL),
    "community.on_time_csv": only(GET, "staff_a", "staff_b", "admin", *CIVIL),
    # The needs forecast and plan of purchases of one's scope: community staff, civil affairs, admins.
    "forecast.index": only(GET, "staff_a", "staff_b", "admin", *CIVIL),
    "community.resident_detail": per_object(GET, {"resident_a": on("staff_a", "grid_a", "admin"),
                                                  "resident_b": on("staff_b", "admin")}),
    "community.resident_reveal": per_object(BOTH, {"resident_a": on("staff_a", "admin"),
                                                   "resident_b": on("staff_b", "admin")}),
    # Everything held on a resident (ID masked, logged): the resident desk of their community.
    "community.resident_export": per_object(GET, {"resident_a": on("staff_a", "grid_a", "admin"),
                                                  "resident_b": on("staff_b", "admin")}, kind="json"),
    "community.resident_anonymize": per_object(BOTH, {"resident_a": on("staff_a", "admin"),
                                                      "resident_b": on("staff_b", "admin")}),
    # A withdrawal the resident told staff of: their community's staff (grid workers only see the history).
    "community.resident_consent_withdraw": per_object(POST, {"resident_consent_a": on("staff_a", "admin"),
                                                             "resident_consent_b": on("staff_b", "admin")}),
    "community.needs": only(GET, *NEED_READERS),
    "community.need_new": per_object(BOTH, {None: on(*RESIDENT_DESK),
                                            "report_for_a": on("staff_a", "grid_a", "admin"),
                                            "report_for_b": on("staff_b", "admin")}),
    "community.need_detail": per_object(GET, {
        "need_a": on("staff_a", "grid_a", "observer_x", *CIVIL_X),
        "need_b": on("staff_b", *CIVIL_Y)}),
    "community.need_verify": per_object(POST, NEED_MANAGERS),
    "community.need_reject": per_object(POST, NEED_MANAGERS),
    "community.need_deliver": per_object(POST, NEED_MANAGERS),
    "community.need_rate": per_object(POST, NEED_MANAGERS),
    "community.need_merge": per_object(POST, NEED_MANAGERS),
    # Staff and grid workers add a resident of their community to a need the resident's request repeats.
    "community.need_join": per_object(POST, {"joinable_a": on("staff_a", "grid_a", "admin"),
                                             "joinable_b": on("staff_b", "admin")}),
    "community.need_photo": per_object(GET, {"photo_a": on("staff_a", "grid_a", "observer_x", *CIVIL_X),
                                             "photo_b": on("staff_b", *CIVIL_Y)}),
    "community.accounts": only(GET, "staff_a", "staff_b", *CIVIL, "admin"),
    "community.account_verify": per_object(POST, ACCOUNT_VERIFIERS),
    "community.account_reject": per_object(POST, ACCOUNT_VERIFIERS),

    # A resident's own needs (admins pass the role check and have none of their own).
    "needs.mine": only(GET, "resident", "admin"),
    "needs.new": only(BOTH, "resident"),
    "needs.my_data": Route(GET, {None: on("resident")}, args={"kind": "json"}),
    # A resident's own consents: another resident's is not there for them.
    "needs.consents": only(GET, "resident"),
    "needs.consent_withdraw": per_object(POST, {"resident_consent_a": on("resident"),
                                                "resident_consent_b": on(missing=["resident"])}),
    "needs.detail": per_object(GET, {"need_a": on("resident"), "need_b": on()}),
    "needs.withdraw": per_object(POST, {"need_a": on("resident"), "need_b": on()}),
    "needs.rate": per_object(POST, {"need_a": on("resident"), "need_b": on()}),
    # A resident joins only a need suggested as the same as a request of theirs.
    "needs.join": per_object(POST, {"joinable_a": on("resident"), "joinable_b": on()}),

    # Visits: the resident rates their own; their community's staff rate for them and close the follow-ups
    # of low ratings (admins pass the role check: every community).
    "ratings.mine": only(GET, "resident", "admin"),
    "ratings.community": only(GET, "staff_a", "staff_b", "admin"),
    "ratings.rate": per_object(BOTH, {"visit_a": on("resident", "staff_a", "admin"), "visit_b": on("staff_b", "admin")}),
    "ratings.follow_up_close": per_object(POST, {"follow_up_a": on("staff_a", "admin"),
                                                 "follow_up_b": on("staff_b", "admin")}),

    # Organizations: civil affairs of the service area manage them; members see their own.
    "organizations.index": only(GET, *CIVIL, "observer_x", "admin"),
    "organizations.detail": per_object(GET, {
        "org_a": on("org_admin_a", "social_worker_a", "observer_x", *CIVIL_X),
        "org_b": on("org_admin_b", *CIVIL_Y)}),
    "organizations.change_status": per_object(POST, {"org_a": on(*CIVIL_X), "org_b": on(*CIVIL_Y)},
                                              verb="verify"),
    "organizations.mine": only(GET, *ORGS, "admin"),
    "organizations.register": only(BOTH, "org_admin_new"),
    "organizations.edit": only(BOTH, "org_admin_b"),  # only while not yet verified
    "organizations.worker_new": only(BOTH, "org_admin_a", "org_admin_b"),
    "organizations.worker_edit": per_object(BOTH, OWN_WORKERS),
    "organizations.worker_login": per_object(BOTH, OWN_WORKERS),
    "organizations.worker_active": per_object(POST, OWN_WORKERS, verb="reactivate"),

    # Projects: civil affairs manage their subtree; observers read it (no drafts); experts read the
    # projects whose panel they sit on; organizations read published projects of their service area;
    # bids are their admin's.
    "projects.index": only(GET, *CIVIL, *ORGS, "expert_x", "observer_x", "admin"),
    "projects.export": Route(GET, {None: on(*CIVIL, *ORGS, "expert_x", "observer_x", "admin")}, args={"kind": "csv"}),
    "projects.new": only(BOTH, *CIVIL, "admin"),
    "projects.detail": per_object(GET, {
        "project_x": on("org_admin_a", "social_worker_a", "observer_x", *CIVIL_X),
        "project_y": on("org_admin_b", *CIVIL_Y),
        "draft_x": on(*CIVIL_X), "draft_y": on(*CIVIL_Y),
        # Bidding over: still readable by the organizations that bid, and by the region's readers.
        "closed_x": on("org_admin_a", "social_worker_a", "expert_x", "observer_x", *CIVIL_X),
        "closed_y": on("org_admin_b", *CIVIL_Y)}),
    # Drafts, and projects open for bids (a change of the terms), by their managers.
    "projects.edit": per_object(BOTH, {"draft_x": on(*CIVIL_X), "draft_y": on(*CIVIL_Y), **PROJECT_MANAGERS}),
    "projects.criteria": per_object(BOTH, {"draft_x": on(*CIVIL_X), "draft_y": on(*CIVIL_Y), **PROJECT_MANAGERS}),
    "projects.panel": per_object(BOTH, {"closed_x": on(*CIVIL_X), "closed_y": on(*CIVIL_Y), **PROJECT_MANAGERS}),
    "projects.panel_remove": per_object(POST, {"seat_x": on(*CIVIL_X), "seat_y": on(*CIVIL_Y)}),
    # The expert's own declaration and scores, on the panels they sit on only.
    "projects.declare": per_object(BOTH, {"closed_x": on("expert_x"), "closed_y": on()}),
    "projects.evaluate": per_object(BOTH, {"closed_x": on("expert_x"), "closed_y": on()}),
    # The award notice: whoever reads an awarded project; complaints: its bidders' admins and managers.
    "projects.notice": per_object(GET, {"notice_x": on("org_admin_a", "social_worker_a", "observer_x", *CIVIL_X),
                                        "notice_y": on("org_admin_b", *CIVIL_Y)}),
    "projects.complaints": per_object(BOTH, {"notice_x": on("org_admin_a", *CIVIL_X),
                                             "notice_y": on("org_admin_b", *CIVIL_Y)}),
    "projects.complaint_answer": per_object(POST, {"complaint_x": on(*CIVIL_X), "complaint_y": on(*CIVIL_Y)}),
    "projects.republish": per_object(POST, PROJECT_MANAGERS),
    "projects.step": per_object(POST, PROJECT_MANAGERS, verb="publish"),
    "projects.cancel": per_object(POST, PROJECT_MANAGERS),
    "projects.disqualify": per_object(POST, {"bid_x": on(*CIVIL_X), "bid_y": on(*CIVIL_Y)}),
    "projects.scores": per_object(BOTH, {"closed_x": on(*CIVIL_X), "closed_y": on(*CIVIL_Y),
                                         "project_x": on(*CIVIL_X)}),  # experts score on their own page
    "projects.award": per_object(BOTH, {"closed_x": on(*CIVIL_X), "closed_y": on(*CIVIL_Y)}),
    "projects.bid": per_object(BOTH, {"project_x": on("org_admin_a"), "project_y": on("org_admin_b")}),
    "projects.bid_withdraw": per_object(POST, {"project_x": on("org_admin_a"), "project_y": on("org_admin_b")}),

    # Contracts: civil affairs of the project draw them up, pay and decide; the contracted organization
    # reads, signs (its admin), uploads and asks for changes; the assigned expert evaluates. A document
    # does not exist for anyone else.
    "contracts.index": only(GET, *CIVIL, *ORGS, "expert_x", "admin"),
    "contracts.new": per_object(BOTH, {"closed_x": on(*CIVIL_X), "closed_y": on(*CIVIL_Y)}),
    "contracts.detail": per_object(GET, {"contract_x": on(*CONTRACT_READERS_X),
                                         "contract_y": on(*CONTRACT_READERS_Y)}),
    "contracts.sign": per_object(POST, {"contract_x": on("org_admin_a"), "contract_y": on("org_admin_b")}),
    "contracts.renew": per_object(POST, CONTRACT_MANAGERS),
    "contracts.evaluator": per_object(POST, CONTRACT_MANAGERS),
    "contracts.pay": per_object(POST, {"installment_x": on(*CIVIL_X), "installment_y": on(*CIVIL_Y)}),
    "contracts.evaluate": per_object(BOTH, {"contract_x": on("expert_x"), "contract_y": on()}, kind="midterm"),
    "contracts.upload": per_object(POST, {"contract_x": on("org_admin_a", "social_worker_a"),
                                          "contract_y": on("org_admin_b")}),
    "contracts.document": per_object(GET, {
        "document_x": on(*CONTRACT_READERS_X, missing=SIGNED_IN - CONTRACT_READERS_X),
        "document_y": on(*CONTRACT_READERS_Y, missing=SIGNED_IN - CONTRACT_READERS_Y)}),
    "contracts.change": per_object(POST, {"contract_x": on("org_admin_a"), "contract_y": on("org_admin_b")}),
    "contracts.decide": per_object(POST, {"change_x": on(*CIVIL_X), "change_y": on(*CIVIL_Y)}, verb="approve"),

    # Shifts: volunteers see open shifts of their street and their own; staff their region; the
    # winning organization and the shift's lead run it; community staff run their community's.
    "shifts.index": only(GET, *SHIFT_LISTS),
    "shifts.export": Route(GET, {None: on(*SHIFT_LISTS)}, args={"kind": "csv"}),
    "shifts.new": per_object(BOTH, {None: on("social_worker_a", "org_admin_a", "org_admin_b", "org_admin_new",
                                             "staff_a", "staff_b", "admin"),
                                    "for_running_x": on("social_worker_a", "org_admin_a", "admin"),
                                    "for_running_y": on("org_admin_b", "admin")}),
    "shifts.detail": per_object(GET, {
        "shift_x": on("volunteer_a", "observer_x", *RUNS_SHIFT["shift_x"].allowed, *CIVIL_X),
        "shift_y": on("volunteer_b", *RUNS_SHIFT["shift_y"].allowed, *CIVIL_Y),
        "activity_a": on("volunteer_a", "staff_a", "observer_x", *CIVIL_X),
        "activity_b": on("volunteer_b", "staff_b", *CIVIL_Y)}),
    "shifts.edit": per_object(BOTH, EDITS_SHIFT),
    "shifts.cancel": per_object(BOTH, EDITS_SHIFT),
    "shifts.hours_to_approve": only(GET, *ORGS, "staff_a", "staff_b", "admin"),   # each sees the shifts they keep
    "shifts.roster": per_object(GET, RUNS_SHIFT),
    "shifts.check_in": per_object(POST, {"sign_up_x": RUNS_SHIFT["shift_x"], "sign_up_y": RUNS_SHIFT["shift_y"]}),
    "shifts.check_out": per_object(POST, {"sign_up_x": RUNS_SHIFT["shift_x"], "sign_up_y": RUNS_SHIFT["shift_y"]}),
    "shifts.no_show": per_object(POST, {"sign_up_x": RUNS_SHIFT["shift_x"], "sign_up_y": RUNS_SHIFT["shift_y"]}),
    "shifts.decide_hours": per_object(POST, RUNS_SHIFT),
    "shifts.close": per_object(POST, RUNS_SHIFT),
    # The QR code the lead shows at the site; the volunteer with a place opens it to check in or out.
    "shifts.code": per_object(GET, RUNS_SHIFT, purpose="in"),
    "shifts.check_code": per_object(BOTH, {"code_x": on("volunteer_a"), "code_y": on("volunteer_b")}),
    "shifts.sign_up": per_object(POST, {"shift_x": on("volunteer_a"), "shift_y": on("volunteer_b"),
                                        "activity_a": on("volunteer_a")}),
    # Another volunteer's place is not theirs to give up: there is none of theirs to find.
    "shifts.withdraw": per_object(POST, {"shift_x": on("volunteer_a", missing=["volunteer_b"]),
                                         "shift_y": on("volunteer_b", missing=["volunteer_a"])}),
    # A place offered from the waiting list is answered by the volunteer it is offered to; another
    # volunteer has no sign-up there to find.
    "shifts.offer": per_object(GET, {"shift_x": on("volunteer_a", missing=["volunteer_b"]),
                                     "shift_y": on("volunteer_b", missing=["volunteer_a"])}),
    "shifts.answer_offer": per_object(POST, {"shift_x": on("volunteer_a", missing=["volunteer_b"]),
                                             "shift_y": on("volunteer_b", missing=["volunteer_a"])},
                                      answer="accept"),

    # A volunteer's own pages.
    "volunteers.profile": only(BOTH, *VOLUNTEERS),
    "volunteers.my_shifts": only(GET, *VOLUNTEERS),
    "volunteers.hours": only(GET, *VOLUNTEERS),
    "volunteers.calendar_reset": only(POST, *VOLUNTEERS),
    # One's own sign-up as an .ics; another volunteer's is not there to find.
    "volunteers.shift_ics": per_object(GET, {"shift_x": on("volunteer_a", missing=["volunteer_b"]),
                                             "shift_y": on("volunteer_b", missing=["volunteer_a"])}),
    # Calendar programs fetch the feed without a session: whoever holds the secret URL reads it.
    "volunteers.calendar_feed": Route(GET, {"feed": On(SIGNED_IN)}, public=True),
    # One-off changes to one's own availability; another volunteer's is not there to find.
    "volunteers.add_exception": only(POST, *VOLUNTEERS),
    "volunteers.remove_exception": per_object(POST, {"exception_a": on("volunteer_a", missing=["volunteer_b"]),
                                                     "exception_b": on("volunteer_b", missing=["volunteer_a"])}),
    # A minor's guardian consent: kept by community staff and social workers of the volunteer's area; to
    # such staff of another area the volunteer does not exist, and the signed form exists for no one else.
    "volunteers.minors": only(GET, "staff_a", "staff_b", "social_worker_a"),
    "volunteers.consent": per_object(BOTH, CONSENT_KEEPERS),
    "volunteers.withdraw_consent": per_object(POST, CONSENT_KEEPERS),
    "volunteers.consent_document": per_object(GET, {
        "consent_a": on("staff_a", "social_worker_a", missing=SIGNED_IN - {"staff_a", "social_worker_a"}),
        "consent_b": on("staff_b", missing=SIGNED_IN - {"staff_b"})}),

    # Skill certificates: volunteers claim their own; the social worker of the volunteer's street decides
    # them and opens the file; to anyone else a claim does not exist.
    "skills.mine": only(BOTH, *VOLUNTEERS),
    "skills.reviews": only(GET, "social_worker_a"),
    "skills.certificate_file": per_object(GET, {
        "skill_claim_a": on("volunteer_a", "social_worker_a", missing=SIGNED_IN - {"volunteer_a", "social_worker_a"}),
        "skill_claim_b": on("volunteer_b", missing=SIGNED_IN - {"volunteer_b"})}),
    "skills.approve": per_object(POST, {"skill_claim_a": on("social_worker_a"),
                                        "skill_claim_b": on(missing=["social_worker_a"])}),
    "skills.reject": per_object(POST, {"skill_claim_a": on("social_worker_a"),
                                       "skill_claim_b": on(missing=["social_worker_a"])}),
    "volunteers.supervision": per_object(GET, {name: on(*readers, missing=SIGNED_IN - readers)
                                               for name, readers in NOTE_READERS.items()}),
    "volunteers.write_note": per_object(POST, {name: on(*NOTE_WRITERS[name], missing=SIGNED_IN - readers)
                                               for name, readers in NOTE_READERS.items()}),

    # Volunteer records: one's own record; corrections filed by the volunteer or the lead, decided by a
    # social worker or community staff; records kept by community staff and civil affairs of the area;
    # certificates issued by the community's staff; the notice and the verification page are public.
    "records.mine": only(GET, *VOLUNTEERS),
    "records.request_certificate": only(POST, *VOLUNTEERS),
    "records.answer": only(POST, *VOLUNTEERS),
    "records.export_mine": only(GET, *VOLUNTEERS),
    "records.correction_new": only(BOTH, *VOLUNTEERS, "social_worker_a"),
    "records.corrections": only(BOTH, "social_worker_a", "staff_a", "staff_b"),
    "records.desk": only(GET, *RECORD_KEEPERS),
    # The volunteer list and approved hours of the keeper's area (the rows are scoped; the route is the keepers').
    "records.volunteers_export": Route(GET, {None: on(*RECORD_KEEPERS)}, args={"kind": "csv"}),
    "records.hours_export": Route(GET, {None: on(*RECORD_KEEPERS)}, args={"kind": "csv"}),
    "records.complain": per_object(POST, RECORD_OF),
    "records.export_record": per_object(GET, RECORD_OF),
    "records.certificate_pdf": per_object(GET, {
        "certificate_a": on("volunteer_a", "staff_a", *CIVIL_X, missing=SIGNED_IN - {"volunteer_a", "staff_a"} - CIVIL_X),
        "certificate_b": on("volunteer_b", "staff_b", *CIVIL_Y, missing=SIGNED_IN - {"volunteer_b", "staff_b"} - CIVIL_Y)}),
    "records.issue": per_object(POST, {"certificate_a": on("staff_a", "admin", missing=["staff_b"]),
                                       "certificate_b": on("staff_b", "admin", missing=["staff_a"])}),
    "records.notice": everyone("GET"),
    "records.verify": everyone("GET", "POST"),

    # Match runs: civil affairs those of their area, social workers the ones they started.
    "matching.index": only(GET, *RUNNERS),
    "matching.new": only(BOTH, *RUNNERS),
    "matching.detail": per_object(GET, RUN_READERS),
    "matching.status": per_object(GET, RUN_READERS),
    "matching.override": per_object(POST, RUN_READERS),
    "matching.again": per_object(POST, RUN_READERS, how="rerun"),
    "matching.decide": per_object(POST, RUN_READERS, decision="reject"),

    # Cases: the caseload for social workers and organization admins (never site admins); opening for
    # social workers and admins of an organization; the case itself only for its owner (see CASE_OWNERS).
    "meetings.index": signed_in("GET"),
    "meetings.new": only(BOTH, "staff_a", "staff_b", "civil_x", "civil_y", "civil_district", "admin"),
    "meetings.detail": per_object(GET, MEETING_READERS),
    "meetings.add_item": per_object(POST, MEETING_RUNNERS),
    "meetings.minutes": per_object(POST, MEETING_RUNNERS),
    "meetings.cancel": per_object(POST, MEETING_RUNNERS),
    "meetings.decide": per_object(POST, MEETING_RUNNERS),
    "meetings.close_decision": per_object(POST, DECISION_CLOSERS),
    "cases.index": only(GET, *CASE_LISTS),
    "cases.new": only(BOTH, "social_worker_a", "org_admin_a", "org_admin_b"),
    "cases.detail": per_object(GET, CASE_OWNERS),
    "cases.advance": per_object(POST, CASE_OWNERS),
    "cases.request_approval": per_object(POST, CASE_OWNERS),
    "cases.decide": per_object(POST, CASE_OWNERS),
    "cases.note": per_object(POST, CASE_OWNERS),
    "cases.service": per_object(POST, CASE_OWNERS),
    "cases.refer": per_object(POST, CASE_OWNERS),
    "cases.revoke_referral": per_object(POST, CASE_OWNERS),
    "cases.answer_referral": per_object(POST, CASE_OWNERS, verb="decline"),
    "cases.transfer": per_object(POST, CASE_OWNERS),
    "cases.answer_transfer": per_object(POST, CASE_OWNERS, verb="decline"),
    "cases.upload": per_object(POST, CASE_OWNERS),
    # The open cases of a social worker who left: their organization's admin (or a supervisor) hands them on.
    "cases.reassign": per_object(BOTH, OWN_WORKERS),
    # A case's document does not exist for anyone who may not open the case.
    "cases.document": per_object(GET, {"case_document_a": on("social_worker_a", missing=SIGNED_IN - {"social_worker_a"}),
                                       "case_document_b": on(missing=SIGNED_IN)}),
}


def expected(route: Route, obj: Optional[str], role: str, method: str = "GET") -> str:
    """What ``role`` should get: "ok" (a GET: 200; a POST: done or re-shown, not refused), "moved" (a
    GET sent on elsewhere), "login" (sent to log in), "forbidden" (403) or "missing" (404)."""
    case = route.cases[obj]
    if role == "anonymous":
        if not route.public:
            return "login"
        return "missing" if role in case.missing else "ok"
    if role in case.allowed:
        return "moved" if method == "GET" and role in case.moved else "ok"
    return "missing" if role in case.missing else "forbidden"
