"""Claims on records staff keep: a self-registered account whose ID number matched a resident's or a
volunteer's record (by its blind index) claims it instead of making a second record; staff confirm or reject
the claim when they verify or reject the account (``linkage.community.services``). The steps every kind
of claim takes alike."""
from __future__ import annotations

from linkage import audit, timeutil
from linkage.extensions import db
from linkage.models import ClaimStatus, ResidentClaim, User, VolunteerClaim


def file_claim(claim: ResidentClaim | VolunteerClaim) -> ResidentClaim | VolunteerClaim:
    """Keep a new claim, recorded on the claimed record (``resident.claim``, ``volunteer.claim``); no one
    acts yet, the account is still waiting for verification."""
    db.session.add(claim)
    db.session.flush()
    audit.record(None, claim.CLAIM_ACTION, claim.record, after={"user_id": claim.user_id})
    return claim


def decide(claim: ResidentClaim | VolunteerClaim, status: ClaimStatus, *, actor: User) -> None:
    """Mark the claim confirmed or rejected by ``actor`` now (the account's audit event says why)."""
    claim.status, claim.decided_by_id, claim.decided_at = status, actor.id, timeutil.now()
