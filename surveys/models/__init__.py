from surveys.models.catalog import Channel, Company, Industry
from surveys.models.instruments import (
    Option,
    Question,
    Questionnaire,
    QuestionnaireKind,
    QuestionRole,
    QuestionType,
    Section,
)
from surveys.models.panels import Gender, Invitation, InvitationStatus, Panelist, Region
from surveys.models.responses import Answer, Response, ResponseSource, ResponseStatus
from surveys.models.waves import Study, StudyKind, Wave, WaveStatus

__all__ = [
    "Answer",
    "Channel",
    "Company",
    "Gender",
    "Industry",
    "Invitation",
    "InvitationStatus",
    "Option",
    "Panelist",
    "Question",
    "QuestionRole",
    "QuestionType",
    "Questionnaire",
    "QuestionnaireKind",
    "Region",
    "Response",
    "ResponseSource",
    "ResponseStatus",
    "Section",
    "Study",
    "StudyKind",
    "Wave",
    "WaveStatus",
]
