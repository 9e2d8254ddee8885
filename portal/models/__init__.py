"""The data model (typed SQLAlchemy 2), one module per part of the domain."""
from portal.models.attempts import ATTEMPT_STATUSES, Attempt, AttemptItem
from portal.models.contest import (COLLECTIVE_CRITERIA, PREDICTION_MODES, TIEBREAK_KEYS,
                                   Announcement, Block, Contest, PrizeTier, Round, Unit)
from portal.models.people import CONTESTANT_STATUSES, STAFF_ROLES, Contestant, Staff
from portal.models.questions import Choice, Question
from portal.models.records import (AuditEntry, CollectiveAward, DataRequest, RankingEntry,
                                   SiteVisit)
from portal.models.types import UTCDateTime, utcnow

__all__ = [
    "ATTEMPT_STATUSES", "COLLECTIVE_CRITERIA", "CONTESTANT_STATUSES", "PREDICTION_MODES",
    "STAFF_ROLES", "TIEBREAK_KEYS", "Announcement", "Attempt", "AttemptItem", "AuditEntry",
    "Block", "Choice", "CollectiveAward", "Contest", "Contestant", "DataRequest", "PrizeTier",
    "Question", "RankingEntry", "Round", "SiteVisit", "Staff", "Unit", "UTCDateTime", "utcnow",
]
