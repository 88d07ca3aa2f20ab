"""All tables. Import models from here: ``from linkage.models import Need``."""
from linkage.models.audit import AuditEvent, Notification, RowSeal
from linkage.models.cases import (CASE_STAGE_LABELS, STAGE_ORDER, Case, CaseApproval, CaseDocument, CaseNote,
                                  CaseReferral, CaseService, CaseStage, CaseStatus, CaseTransfer, Decision, HandOver, NoteKind)
from linkage.models.contracts import (ChangeKind, ChangeRequest, ChangeStatus, Contract, ContractStatus, Document,
                                      DocumentKind, Evaluation, EvaluationKind, Installment, Milestone, Payment)
from linkage.models.forecast import ForecastResult
from linkage.models.matching import MatchKind, MatchOverride, MatchRun, MatchRunPart, MatchStatus
from linkage.models.needs import (NEED_STATUS_LABELS, URGENCY_LABELS, Feedback, Need, NeedChannel, NeedFollower,
                                  NeedPhoto, NeedStatus, Recurrence, ResponseTarget)
from linkage.models.meetings import (AgendaItem, AgendaKind, DecisionStatus, Meeting, MeetingDecision,
                                     MeetingStatus)
from linkage.models.organizations import OrgStatus, OrgType, Organization
from linkage.models.people import (AccountStatus, Availability, AvailabilityException, ClaimStatus, ConsentChannel,
                                   ConsentPurpose, ExceptionKind, GuardianConsent, Resident, ResidentClaim,
                                   ResidentConsent, ResidentTag, Role, SocialWorker,
                                   User, Volunteer, VolunteerClaim, VolunteerStatus, VulnerableTag, WorkerLevel)
from linkage.models.panels import (DEFAULT_CRITERIA, PANEL_STATUS_LABELS, Complaint, ComplaintStatus, ExpertTie, PanelMember,
                                   PanelScore, PanelStatus, ProjectCriterion)
from linkage.models.projects import Bid, BidStatus, Project, ProjectStatus, RUNNING_STATUSES
from linkage.models.records import (Certificate, CertificateStatus, CorrectionStatus, HoursCorrection,
                                    VolunteerComplaint, VolunteerNumber)
from linkage.models.ratings import FollowUp, FollowUpStatus, VisitRating
from linkage.models.regions import Region, RegionLevel
from linkage.models.settings import SettingValue
from linkage.models.shifts import (FINISHED_STATUSES, HOLDING_STATUSES, LIVE_STATUSES, OPEN_STATUSES, TAKEN_STATUSES,
                                   HoursStatus, ReminderKind, Shift, ShiftReminder, ShiftSeries, ShiftSlot, ShiftStatus,
                                   SignUp, SignUpStatus)
from linkage.models.skills import ProofSource, ProofStatus, SkillCertificate, SupervisionNote
from linkage.models.taxonomy import Category, Skill

__all__ = [
    "ForecastResult",
    "AgendaItem", "AgendaKind", "DecisionStatus", "Meeting", "MeetingDecision", "MeetingStatus",
    "CASE_STAGE_LABELS", "STAGE_ORDER", "Case", "CaseApproval", "CaseDocument", "CaseNote", "CaseReferral", "CaseService",
    "CaseStage", "CaseStatus", "CaseTransfer", "Decision", "HandOver", "NoteKind",
    "Certificate", "CertificateStatus", "CorrectionStatus", "HoursCorrection", "VolunteerComplaint", "VolunteerNumber",
    "AccountStatus", "AuditEvent", "Availability", "AvailabilityException", "ExceptionKind", "GuardianConsent", "ResidentConsent", "ConsentChannel", "ConsentPurpose", "Bid", "BidStatus", "Category", "ChangeKind", "ChangeRequest",
    "ChangeStatus", "Contract", "ContractStatus", "Document", "DocumentKind", "Evaluation", "EvaluationKind",
    "Feedback", "FollowUp", "FollowUpStatus", "VisitRating", "Installment", "Milestone", "Payment",
    "Complaint", "ComplaintStatus", "DEFAULT_CRITERIA", "ExpertTie", "PANEL_STATUS_LABELS", "PanelMember", "PanelScore", "PanelStatus",
    "ProjectCriterion",
    "FINISHED_STATUSES", "HOLDING_STATUSES", "LIVE_STATUSES", "TAKEN_STATUSES", "OPEN_STATUSES", "HoursStatus", "MatchKind", "MatchOverride", "MatchRun", "MatchRunPart", "MatchStatus",
    "NEED_STATUS_LABELS", "Need", "NeedStatus", "Notification", "OrgStatus", "OrgType", "Organization",
    "Project", "ProjectStatus", "RUNNING_STATUSES", "Recurrence", "ResponseTarget", "Region", "RegionLevel", "Resident",
    "ReminderKind", "ResidentTag", "Role", "RowSeal", "SettingValue", "Shift", "ShiftReminder", "ShiftSeries", "ShiftSlot", "ShiftStatus", "SignUp", "SignUpStatus", "Skill",
    "ProofSource", "ProofStatus", "SkillCertificate", "SupervisionNote",
    "NeedChannel", "NeedFollower", "NeedPhoto", "ClaimStatus", "ResidentClaim", "VolunteerClaim",
    "SocialWorker", "URGENCY_LABELS", "User", "Volunteer", "VolunteerStatus", "VulnerableTag", "WorkerLevel",
]
