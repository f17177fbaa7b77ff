from awards.models.categories import (
    AwardCategory,
    CategoryKind,
    CategoryMetric,
    CategoryScope,
    Placement,
    TieBreak,
)
from awards.models.decisions import AwardDecision, DecisionAction
from awards.models.events import AwardEvent, EventState
from awards.models.jury import (
    ConflictOfInterest,
    JuryCriterion,
    JuryMember,
    JuryNominee,
    JuryScore,
)

__all__ = [
    "AwardCategory",
    "AwardDecision",
    "AwardEvent",
    "CategoryKind",
    "CategoryMetric",
    "CategoryScope",
    "ConflictOfInterest",
    "DecisionAction",
    "EventState",
    "JuryCriterion",
    "JuryMember",
    "JuryNominee",
    "JuryScore",
    "Placement",
    "TieBreak",
]
