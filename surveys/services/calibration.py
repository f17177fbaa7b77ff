"""Calibration: several observers score the same dialogue, and staff see how well they agree.

Staff create an exercise with the dialogue attached (a transcript, a recording or both) and invite
observers. Each invited observer scores it once with the evaluation form, validated by the same
answer rules as fieldwork and scored by the same function (``surveys.scoring.contact_score``).
The dialogue has no waiting time of its own, so a rating's score is the areas' score alone.
``calibration_report`` gathers the agreement per question, Fleiss' kappa and each observer's
drift (``surveys.agreement``).
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from kundeservice.errors import ConflictError, DomainError
from surveys import agreement, scoring
from surveys.branching import NA
from surveys.evaluation import (
    answer_text,
    clean_answers,
    missing_answers,
    scored_item,
    shown_only,
)
from surveys.models import (
    CalibrationExercise,
    CalibrationRating,
    Channel,
    Company,
    Observer,
    Questionnaire,
    QuestionnaireKind,
    QuestionType,
)
from surveys.selectors import QuestionView, Structure, questionnaire_structure
from surveys.services.fieldwork import IncompleteEvaluation

#: Recordings staff may attach: common audio (and audio-in-video) formats.
RECORDING_SUFFIXES = {".mp3", ".m4a", ".aac", ".wav", ".ogg", ".oga", ".opus", ".webm", ".mp4"}
MAX_RECORDING_BYTES = 50 * 1024 * 1024
MAX_TRANSCRIPT = 50_000
#: Question types whose answers are categories observers can agree on (free text, numbers and
#: times are left out of agreement).
AGREEMENT_TYPES = {
    QuestionType.SINGLE_CHOICE,
    QuestionType.MULTIPLE_CHOICE,
    QuestionType.YES_NO,
    QuestionType.RATING,
    QuestionType.NPS,
    QuestionType.CHANNEL,
}


class NotInvited(DomainError):
    """Only observers invited to an exercise may score it."""

    status_code = 404


def calibration_create(
    *,
    title: str,
    questionnaire: Questionnaire,
    observers: Iterable[Observer],
    transcript: str = "",
    recording: UploadedFile | None = None,
    company: Company | None = None,
    channel: str = "",
) -> CalibrationExercise:
    """Create an exercise: the dialogue (transcript and/or recording) and the observers invited.

    Every problem is reported at once, keyed by field, and nothing is stored."""
    title = (title or "").strip()
    transcript = (transcript or "").strip()
    invited = list({o.pk: o for o in observers}.values())
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    if not title:
        add("title", _("Give the exercise a title."))
    elif len(title) > 200:
        add("title", _("Keep the title under %(n)d characters.") % {"n": 200})
    if questionnaire.kind != QuestionnaireKind.EVALUATION:
        add("questionnaire", _("Choose an evaluation form."))
    if len(invited) < 2:
        add("observers", _("Invite at least two observers: agreement needs more than one."))
    if not transcript and recording is None:
        add("transcript", _("Attach the dialogue: paste a transcript or upload a recording."))
    if len(transcript) > MAX_TRANSCRIPT:
        add("transcript", _("Keep the transcript under %(n)d characters.") % {"n": MAX_TRANSCRIPT})
    if recording is not None:
        for message in _recording_problems(recording):
            add("recording", message)
    if channel and channel not in Channel.values:
        add("channel", _("Unknown channel: %(c)s.") % {"c": channel})
    if errors:
        raise DomainError(errors, code="calibration")
    with transaction.atomic():
        exercise = CalibrationExercise.objects.create(
            title=title,
            questionnaire=questionnaire,
            company=company,
            channel=channel,
            transcript=transcript,
        )
        if recording is not None:
            exercise.recording.save(Path(recording.name or "opptak").name, recording, save=True)
        exercise.observers.set(invited)
    return exercise


def calibration_rate(
    *, exercise: CalibrationExercise, observer: Observer, answers: Mapping[str, Any]
) -> CalibrationRating:
    """Store an invited observer's scoring of the dialogue, once.

    ``answers`` maps question keys to a value or a list of submitted strings. Answers to hidden
    questions are dropped; problems raise ``IncompleteEvaluation`` (question key → message) and
    nothing is stored."""
    if not exercise.observers.filter(pk=observer.pk).exists():
        raise NotInvited(_("You are not invited to this calibration exercise."), code="invited")
    structure = questionnaire_structure(questionnaire=exercise.questionnaire)
    cleaned, errors = clean_answers(structure, answers)
    shown = shown_only(structure, cleaned)
    for key, message in missing_answers(structure, shown).items():
        errors.setdefault(key, message)
    if errors:
        raise IncompleteEvaluation(errors)
    score = _score(structure, shown)
    try:
        with transaction.atomic():
            if CalibrationRating.objects.filter(exercise=exercise, observer=observer).exists():
                raise _already_rated()
            return CalibrationRating.objects.create(
                exercise=exercise, observer=observer, answers=shown, score=score.total
            )
    except IntegrityError:  # a double submit racing this one won
        raise _already_rated() from None


@dataclass
class AnswerCount:
    label: str
    count: int


@dataclass
class QuestionRow:
    number: int
    view: QuestionView
    section: str
    agreement: agreement.QuestionAgreement
    answers: list[AnswerCount]
    modal: str


@dataclass
class DriftRow:
    observer: Observer
    drift: agreement.Drift


@dataclass
class CalibrationReport:
    exercise: CalibrationExercise
    ratings: list[CalibrationRating]
    pending: list[Observer]
    questions: list[QuestionRow]
    kappa: agreement.Kappa
    drift: list[DriftRow]
    left_out: list[QuestionRow] = field(default_factory=list)

    @property
    def invited(self) -> int:
        return len(self.ratings) + len(self.pending)

    @property
    def max_drift(self) -> float:
        """The largest absolute drift, for the chart's scale (at least 1 point)."""
        values = [abs(r.drift.difference) for r in self.drift if r.drift.difference is not None]
        return max([1.0, *values])


def calibration_report(*, exercise: CalibrationExercise) -> CalibrationReport:
    """Agreement per question, Fleiss' kappa and drift per observer, in the active language."""
    structure = questionnaire_structure(questionnaire=exercise.questionnaire)
    ratings = list(
        CalibrationRating.objects.filter(exercise=exercise)
        .select_related("observer__user")
        .order_by("submitted_at", "pk")
    )
    rated = {r.observer_id for r in ratings}
    pending = [o for o in exercise.observers.select_related("user") if o.pk not in rated]
    views = [
        (section.section.display_title, view)
        for section in structure.sections
        for view in section.questions
        if view.question.type in AGREEMENT_TYPES
    ]
    keys = [view.key for _title, view in views]
    plain = [
        agreement.Rating(
            rater=r.observer_id,
            answers={k: _category(r.answers[k]) for k in keys if k in r.answers},
            score=r.score,
        )
        for r in ratings
    ]
    rows = []
    for number, ((title, view), agreed) in enumerate(
        zip(views, agreement.question_agreement(plain, keys), strict=True), start=1
    ):
        rows.append(
            QuestionRow(
                number=number,
                view=view,
                section=title,
                agreement=agreed,
                answers=[
                    AnswerCount(label=_label(view, value), count=count)
                    for value, count in sorted(agreed.counts.items(), key=lambda kv: -kv[1])
                ],
                modal=_label(view, agreed.modal) if agreed.modal is not None else "–",
            )
        )
    kappa = agreement.kappa(plain, keys)
    yes_no = [k for k in keys if structure.questions[k].question.type == QuestionType.YES_NO]
    observers = {r.observer_id: r.observer for r in ratings}
    return CalibrationReport(
        exercise=exercise,
        ratings=ratings,
        pending=pending,
        questions=rows,
        kappa=kappa,
        drift=[
            DriftRow(observer=observers[d.rater], drift=d)  # type: ignore[index]
            for d in agreement.drift(plain, yes_no, na=NA)
        ],
        left_out=[row for row in rows if row.view.key in kappa.left_out],
    )


def _already_rated() -> ConflictError:
    return ConflictError(_("You have already scored this dialogue."), code="rated")


def _recording_problems(recording: UploadedFile) -> list[str]:
    problems = []
    suffix = Path(recording.name or "").suffix.lower()
    if suffix not in RECORDING_SUFFIXES:
        problems.append(
            _("Upload the recording as %(types)s.")
            % {"types": ", ".join(sorted(s.lstrip(".") for s in RECORDING_SUFFIXES))}
        )
    if (recording.size or 0) > MAX_RECORDING_BYTES:
        problems.append(
            _("The recording is too large: at most %(n)d MB.")
            % {"n": MAX_RECORDING_BYTES // (1024 * 1024)}
        )
    if not recording.size:
        problems.append(_("The recording is empty."))
    return problems


def _score(structure: Structure, answers: dict[str, Any]) -> scoring.ContactScore:
    items = [
        item
        for section in structure.visible_sections(answers)
        for view in structure.visible_questions(section, answers)
        if (item := scored_item(section.section.key, view, answers.get(view.key))) is not None
    ]
    return scoring.contact_score(
        answered=True,
        items=items,
        section_weights={s.section.key: float(s.section.weight) for s in structure.sections},
    )


def _category(value: Any) -> str:
    """An answer as a category: option codes and N/A as they are, a choice set as one."""
    if isinstance(value, list):
        return "+".join(str(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _label(view: QuestionView, category: Any) -> str:
    if category == NA:
        return answer_text(view, NA)
    if view.question.type == QuestionType.MULTIPLE_CHOICE:
        return answer_text(view, str(category).split("+"))
    return answer_text(view, category)
