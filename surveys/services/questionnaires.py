"""Building questionnaires: from a plain specification (the format the builder, the XLSForm
importer, the demo and the tests all produce), validated as a whole before anything is written."""

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from kundeservice.errors import DomainError
from surveys.branching import ConditionError, referenced_questions
from surveys.models import (
    Option,
    Question,
    Questionnaire,
    QuestionnaireKind,
    QuestionRole,
    QuestionType,
    Response,
    Section,
)
from surveys.models.instruments import RATING_SCALES

YES_NO_OPTIONS = [
    {"value": "yes", "label": "Ja", "label_en": "Yes", "points": 1},
    {"value": "no", "label": "Nei", "label_en": "No", "points": 0},
]


def questionnaire_create(*, spec: dict[str, Any]) -> Questionnaire:
    """Create a questionnaire with its sections, questions and options from ``spec``.

    Every problem is collected and reported at once, naming the section or question; nothing is
    written unless the whole specification is valid.
    """
    errors = _validate(spec)
    if errors:
        raise DomainError(errors, code="invalid_questionnaire")
    slug = spec["slug"]
    with transaction.atomic():
        latest = Questionnaire.objects.filter(slug=slug).order_by("-version").first()
        questionnaire = Questionnaire.objects.create(
            slug=slug,
            version=(latest.version + 1) if latest else 1,
            previous_version=latest,
            kind=spec.get("kind", QuestionnaireKind.SURVEY),
            title=spec["title"],
            title_en=spec.get("title_en", ""),
            intro=spec.get("intro", ""),
            intro_en=spec.get("intro_en", ""),
        )
        options: list[Option] = []
        for s_pos, s in enumerate(spec["sections"]):
            section = Section.objects.create(
                questionnaire=questionnaire,
                key=s["key"],
                position=s_pos,
                title=s["title"],
                title_en=s.get("title_en", ""),
                description=s.get("description", ""),
                description_en=s.get("description_en", ""),
                weight=Decimal(str(s.get("weight", 1))),
                relevant=s.get("relevant"),
            )
            for q_pos, q in enumerate(s["questions"]):
                scale = q["scale"] if q["type"] == QuestionType.RATING else (None, None)
                labels = {k: str(v) for k, v in (q.get("scale_labels") or {}).items()}
                question = Question.objects.create(
                    questionnaire=questionnaire,
                    section=section,
                    key=q["key"],
                    position=q_pos,
                    type=q["type"],
                    role=q.get("role", ""),
                    text=q["text"],
                    text_en=q.get("text_en", ""),
                    help_text=q.get("help", ""),
                    help_text_en=q.get("help_en", ""),
                    required=q.get("required", True),
                    allow_na=q.get("allow_na", False),
                    scale_min=scale[0],
                    scale_max=scale[1],
                    scale_min_label=labels.get("min", ""),
                    scale_min_label_en=labels.get("min_en", ""),
                    scale_max_label=labels.get("max", ""),
                    scale_max_label_en=labels.get("max_en", ""),
                    scored=q.get("scored", False),
                    weight=Decimal(str(q.get("weight", 1))),
                    relevant=q.get("relevant"),
                )
                for o_pos, o in enumerate(_options_of(q)):
                    points = o.get("points")
                    options.append(
                        Option(
                            question=question,
                            value=str(o["value"]),
                            position=o_pos,
                            label=o["label"],
                            label_en=o.get("label_en", ""),
                            points=None if points is None else Decimal(str(points)),
                        )
                    )
        Option.objects.bulk_create(options)
    return questionnaire


def questionnaire_is_locked(*, questionnaire: Questionnaire) -> bool:
    """A version that any response has used can no longer change."""
    return Response.objects.filter(wave__questionnaire=questionnaire).exists()


def _options_of(q: dict[str, Any]) -> list[dict[str, Any]]:
    if q["type"] == QuestionType.YES_NO and not q.get("options"):
        return YES_NO_OPTIONS
    return list(q.get("options") or [])


def _validate(spec: dict[str, Any]) -> list[str]:
    errors: list[str] = []
    if not isinstance(spec, dict):
        return [_("The questionnaire must be an object with sections.")]
    if _contains_nul(spec):
        return [_("The questionnaire contains invisible NUL characters.")]
    for field in ("slug", "title"):
        if not str(spec.get(field) or "").strip():
            errors.append(_("The questionnaire needs a %(field)s.") % {"field": field})
    errors += _length_errors(
        spec, {"slug": 80, "title": 200, "title_en": 200}, _("The questionnaire")
    )
    if (
        not isinstance(spec.get("slug", ""), str)
        or not str(spec.get("slug", "")).replace("-", "").replace("_", "").isalnum()
    ):
        errors.append(_("The questionnaire's key must be letters, digits, - or _."))
    if spec.get("kind", QuestionnaireKind.SURVEY) not in QuestionnaireKind.values:
        errors.append(_("Unknown questionnaire kind “%(kind)s”.") % {"kind": spec.get("kind")})
    sections = spec.get("sections")
    if not isinstance(sections, list) or not sections:
        return [*errors, _("The questionnaire needs at least one section.")]
    section_keys: set[str] = set()
    seen_questions: set[str] = set()
    for position, s in enumerate(sections, start=1):
        if not isinstance(s, dict):
            errors.append(_("Section %(n)d is not an object.") % {"n": position})
            continue
        key = str(s.get("key") or "")
        where = _("Section “%(key)s”") % {"key": key[:60] or "?"}
        errors += _length_errors(s, {"key": 60, "title": 200, "title_en": 200}, where)
        if not key or not key.replace("_", "").replace("-", "").isalnum():
            errors.append(
                _("%(where)s: the key must be letters, digits, - or _.") % {"where": where}
            )
        elif key in section_keys:
            errors.append(_("%(where)s: the key is used twice.") % {"where": where})
        section_keys.add(key)
        if not str(s.get("title") or "").strip():
            errors.append(_("%(where)s: a title is missing.") % {"where": where})
        errors += _condition_errors(s.get("relevant"), seen_questions, where)
        errors += _number_errors(s.get("weight", 1), where, _("weight"))
        questions = s.get("questions")
        if not isinstance(questions, list) or not questions:
            errors.append(_("%(where)s: it has no questions.") % {"where": where})
            continue
        for number, q in enumerate(questions, start=1):
            if not isinstance(q, dict):
                errors.append(
                    _("%(where)s: question %(n)d is not an object.") % {"where": where, "n": number}
                )
                continue
            errors += _question_errors(q, seen_questions)
            seen_questions.add(str(q.get("key") or ""))
    return errors


def _question_errors(q: dict[str, Any], earlier: set[str]) -> list[str]:
    key = str(q.get("key") or "")
    where = _("Question “%(key)s”") % {"key": key[:60] or "?"}
    errors: list[str] = _length_errors(q, {"key": 60}, where)
    for flag in ("required", "allow_na", "scored"):
        if flag in q and not isinstance(q[flag], bool):
            errors.append(
                _("%(where)s: %(flag)s must be true or false.") % {"where": where, "flag": flag}
            )
    if not isinstance(q.get("scale_labels", {}), dict):
        errors.append(_("%(where)s: the scale labels must be an object.") % {"where": where})
    if not key or not key.replace("_", "").isalnum() or not key[0].isalpha():
        errors.append(
            _("%(where)s: a variable name starts with a letter and has only letters, digits and _.")
            % {"where": where}
        )
    elif key in earlier:
        errors.append(_("%(where)s: the variable name is used twice.") % {"where": where})
    qtype = q.get("type")
    if qtype not in QuestionType.values:
        return [*errors, _("%(where)s: unknown type “%(type)s”.") % {"where": where, "type": qtype}]
    if not str(q.get("text") or "").strip():
        errors.append(_("%(where)s: the question text is missing.") % {"where": where})
    if q.get("role", "") not in QuestionRole.values:
        errors.append(
            _("%(where)s: unknown role “%(role)s”.") % {"where": where, "role": q.get("role")}
        )
    if qtype == QuestionType.RATING and not _is_rating_scale(q.get("scale")):
        errors.append(_("%(where)s: a rating scale is 1–5, 1–6, 1–7 or 1–10.") % {"where": where})
    if not isinstance(q.get("options") or [], list) or not all(
        isinstance(o, dict) for o in q.get("options") or []
    ):
        return [*errors, _("%(where)s: options must be a list of objects.") % {"where": where}]
    options = _options_of(q)
    for o in options:
        errors += _length_errors(o, {"value": 60, "label": 300, "label_en": 300}, where)
    if qtype in {QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE} and len(options) < 2:
        errors.append(
            _("%(where)s: a choice question needs at least two options.") % {"where": where}
        )
    values = [str(o.get("value") or "") for o in options]
    if any(not v for v in values) or len(set(values)) != len(values):
        errors.append(_("%(where)s: every option needs its own code.") % {"where": where})
    if any(not str(o.get("label") or "").strip() for o in options):
        errors.append(_("%(where)s: every option needs a label.") % {"where": where})
    for o in options:
        if o.get("points") is not None:
            errors += _number_errors(o["points"], where, _("points"))
    if q.get("scored") and options:
        points = [o.get("points") for o in options]
        if any(p is None for p in points):
            errors.append(
                _("%(where)s: every option of a scored question needs points.") % {"where": where}
            )
        elif not any(Decimal(str(p)) == 0 for p in points):
            errors.append(
                _("%(where)s: a scored question needs a 0-point option.") % {"where": where}
            )
    if q.get("scored") and q.get("role") == QuestionRole.CX:
        errors.append(_("%(where)s: CX items are reported but never scored.") % {"where": where})
    errors += _number_errors(q.get("weight", 1), where, _("weight"))
    errors += _condition_errors(q.get("relevant"), earlier, where)
    return errors


def _condition_errors(condition: Any, earlier: set[str], where: str) -> list[str]:
    try:
        missing = referenced_questions(condition) - earlier
    except ConditionError:
        return [_("%(where)s: the condition cannot be read.") % {"where": where}]
    if missing:
        return [
            _("%(where)s: the condition refers to %(keys)s, which is not an earlier question.")
            % {"where": where, "keys": ", ".join(sorted(missing))}
        ]
    return []


def _number_errors(value: Any, where: str, what: str) -> list[str]:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return [_("%(where)s: %(what)s must be a number.") % {"where": where, "what": what}]
    if not number.is_finite() or number < 0 or number > 10_000:
        return [_("%(where)s: %(what)s must be from 0 to 10 000.") % {"where": where, "what": what}]
    return []


def _length_errors(obj: dict[str, Any], limits: dict[str, int], where: str) -> list[str]:
    return [
        _("%(where)s: %(field)s is longer than %(n)d characters.")
        % {"where": where, "field": field, "n": limit}
        for field, limit in limits.items()
        if len(str(obj.get(field) or "")) > limit
    ]


def _contains_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_contains_nul(k) or _contains_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_contains_nul(v) for v in value)
    return False


def _is_rating_scale(scale: Any) -> bool:
    if not isinstance(scale, list | tuple) or len(scale) != 2:
        return False
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in scale):
        return False
    return (scale[0], scale[1]) in RATING_SCALES
