"""Match runs: the optimizer's proposals, their review and approval."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Optional

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from linkage.extensions import db
from linkage.models.types import UTCDateTime, setting_default, utcnow

if TYPE_CHECKING:
    from linkage.models.people import User
    from linkage.models.regions import Region


class MatchKind(enum.Enum):
    shifts = "shifts"        # volunteers to shifts
    award = "award"          # bids to projects
    cases = "cases"          # professional needs to social workers

    @property
    def label(self):
        return {MatchKind.shifts: _l("Volunteers to shifts"), MatchKind.award: _l("Project award"),
                MatchKind.cases: _l("Cases to social workers")}[self]


class MatchStatus(enum.Enum):
    queued = "queued"
    running = "running"
    proposed = "proposed"
    approved = "approved"
    rejected = "rejected"
    failed = "failed"
    infeasible = "infeasible"

    @property
    def label(self):
        return {
            MatchStatus.queued: _l("Queued"), MatchStatus.running: _l("Running"),
            MatchStatus.proposed: _l("Proposed"), MatchStatus.approved: _l("Approved"),
            MatchStatus.rejected: _l("Rejected"), MatchStatus.failed: _l("Failed"),
            MatchStatus.infeasible: _l("Infeasible"),
        }[self]


class MatchRun(db.Model):
    __tablename__ = "match_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[MatchKind] = mapped_column(sa.Enum(MatchKind, native_enum=False, length=16), index=True)
    status: Mapped[MatchStatus] = mapped_column(
        sa.Enum(MatchStatus, native_enum=False, length=16), default=MatchStatus.queued, index=True)
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id"), index=True)
    period_start: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    period_end: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    time_limit: Mapped[float] = mapped_column(sa.Float, default=setting_default("MATCH_TIME_LIMIT"))
    # The run this one repairs or re-runs with human decisions.
    parent_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("match_runs.id"))
    problem: Mapped[Optional[dict]] = mapped_column(sa.JSON)
    result: Mapped[Optional[dict]] = mapped_column(sa.JSON)
    # What the problem was built from (row ids and versions), to refuse approving a stale proposal.
    inputs: Mapped[Optional[dict]] = mapped_column(sa.JSON)
    # First-come-first-served on the same problem, for comparison on the review screen.
    baseline: Mapped[Optional[dict]] = mapped_column(sa.JSON)
    # Fairness options of a volunteer run (urgent floor, hours cap, spread); empty: none asked for.
    fairness: Mapped[Optional[dict]] = mapped_column(sa.JSON)
    objective: Mapped[Optional[int]] = mapped_column(sa.BigInteger)
    bound: Mapped[Optional[int]] = mapped_column(sa.BigInteger)
    best_so_far: Mapped[Optional[int]] = mapped_column(sa.BigInteger)
    error: Mapped[str] = mapped_column(sa.Text, default="")
    job_id: Mapped[Optional[str]] = mapped_column(sa.String(64))
    created_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    finished_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    decision_note: Mapped[str] = mapped_column(sa.Text, default="")

    region: Mapped[Region] = relationship()
    created_by: Mapped[Optional[User]] = relationship(foreign_keys=[created_by_id])
    decided_by: Mapped[Optional[User]] = relationship(foreign_keys=[decided_by_id])
    overrides: Mapped[list[MatchOverride]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="MatchOverride.id")

    @property
    def gap(self) -> Optional[float]:
        if self.objective is None or self.bound is None:
            return None
        if self.bound == 0:
            return 0.0
        return abs(self.bound - self.objective) / max(1, abs(self.bound))

    def __repr__(self) -> str:
        return f"<MatchRun {self.id} {self.kind.value} {self.status.value}>"


class MatchOverride(db.Model):
    """A staff decision on one pairing: pin it (must hold) or forbid it, with the reason."""

    __tablename__ = "match_overrides"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("match_runs.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(sa.String(8))  # "pin" | "forbid"
    left: Mapped[str] = mapped_column(sa.String(64))   # volunteer / bid / need id as given to the solver
    right: Mapped[str] = mapped_column(sa.String(64))  # shift / project / social worker id
    reason: Mapped[str] = mapped_column(sa.Text)
    created_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    run: Mapped[MatchRun] = relationship(back_populates="overrides")


class MatchRunPart(db.Model):
    """One independent part of a district's volunteer run, solved as its own background job.

    ``problem`` is the part's problem (contract JSON), ``meta`` what merging needs of it (candidate
    pairs, whether it holds whole components only, its bound over the whole problem, the split's
    figures); ``result`` and ``baseline`` are its solution and first come, first served on it. A part
    whose worker stopped sending heartbeats goes back on the queue (``attempts`` counts the tries)."""

    __tablename__ = "match_run_parts"
    __table_args__ = (sa.UniqueConstraint("run_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("match_runs.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(sa.Integer)
    status: Mapped[str] = mapped_column(sa.String(16), default="queued", index=True)  # queued|running|done|failed
    problem: Mapped[dict] = mapped_column(sa.JSON)
    meta: Mapped[dict] = mapped_column(sa.JSON)
    result: Mapped[Optional[dict]] = mapped_column(sa.JSON)
    baseline: Mapped[Optional[dict]] = mapped_column(sa.JSON)
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    job_id: Mapped[Optional[str]] = mapped_column(sa.String(64))
    started_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    finished_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<MatchRunPart {self.run_id}.{self.number} {self.status}>"
