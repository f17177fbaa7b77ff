"""Building questionnaires: from a plain specification (the format the builder, the XLSForm
importer, the demo and the tests all produce), validated as a whole before anything is written."""

from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from kundeservice.errors import DomainError
from surveys.branching import ConditionError, condition_leaves
from surveys.expressions import ExpressionError, check_tree, references
from surveys.models import (
    Channel,
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
#: Types whose answers are chosen among the question's own options.
OPTION_TYPES = {QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE, QuestionType.YES_NO}
#: Types that need at least two options of their own (yes/no brings Ja and Nei).
CHOICE_TYPES = {QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE}
#: Spec keys of the scale labels → the question's fields.
SCALE_LABEL_FIELDS = {
    "min": "scale_min_label",
    "min_en": "scale_min_label_en",
    "max": "scale_max_label",
    "max_en": "scale_max_label_en",
}


def questionnaire_create(*, spec: dict[str, Any]) -> Questionnaire:
    """Create a questionnaire with its sections, questions and options from ``spec``.

    Every problem is collected and reported at once, naming the section or question; nothing is
    written unless the whole specification is valid.
    """
    errors = [problem.message for problem in spec_problems(spec)]
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
            translations=spec.get("translations") or {},
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
                translations=s.get("translations") or {},
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
                    constraint=q.get("constraint"),
                    calculation=q.get("calculation"),
                    choice_filter=q.get("choice_filter"),
                    translations=q.get("translations") or {},
                )
                for o_pos, o in enumerate(options_of(q)):
                    points = o.get("points")
                    options.append(
                        Option(
                            question=question,
                            value=str(o["value"]),
                            position=o_pos,
                            label=o["label"],
                            label_en=o.get("label_en", ""),
                            points=None if points is None else Decimal(str(points)),
                            translations=o.get("translations") or {},
                            columns=o.get("columns") or {},
                        )
                    )
        Option.objects.bulk_create(options)
    return questionnaire


def questionnaire_is_locked(*, questionnaire: Questionnaire) -> bool:
    """A version that any response has used can no longer change."""
    return Response.objects.filter(wave__questionnaire=questionnaire).exists()


def options_of(q: dict[str, Any]) -> list[dict[str, Any]]:
    """A question's options as stored: a yes/no question without its own gets Ja/Nei."""
    if q.get("type") == QuestionType.YES_NO and not q.get("options"):
        return YES_NO_OPTIONS
    return list(q.get("options") or [])


def answer_values(q: dict[str, Any]) -> frozenset[str] | None:
    """The answers a question can be given, as a condition compares them; ``None`` when any value
    goes (numbers, text, dates, companies)."""
    qtype = q.get("type")
    if qtype in OPTION_TYPES:
        options = q.get("options") or []
        if not isinstance(options, list):
            return frozenset()
        return frozenset(str(o.get("value")) for o in options_of(q) if isinstance(o, dict))
    if qtype == QuestionType.RATING and _is_rating_scale(q.get("scale")):
        low, high = q["scale"]
        return frozenset(str(v) for v in range(low, high + 1))
    if qtype == QuestionType.NPS:
        return frozenset(str(v) for v in range(11))
    if qtype == QuestionType.CHANNEL:
        return frozenset(Channel.values)
    return None


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a specification and where it is: indexes of the section, question and
    option, and the spec key concerned, so the builder can show it beside its field."""

    message: str
    field: str = ""
    section: int | None = None
    question: int | None = None
    option: int | None = None


def spec_problems(spec: Any, *, draft: bool = False) -> list[Problem]:
    """Everything wrong with ``spec``. A ``draft`` (the builder's work in progress) may have no
    sections yet, and sections without questions."""
    if not isinstance(spec, dict):
        return [Problem(_("The questionnaire must be an object with sections."))]
    if _contains_nul(spec):
        return [Problem(_("The questionnaire contains invisible NUL characters."))]
    problems: list[Problem] = []
    for field in ("slug", "title"):
        if not str(spec.get(field) or "").strip():
            problems.append(
                Problem(_("The questionnaire needs a %(field)s.") % {"field": field}, field)
            )
    problems += _length_problems(
        spec, {"slug": 80, "title": 200, "title_en": 200}, _("The questionnaire")
    )
    if (
        not isinstance(spec.get("slug", ""), str)
        or not str(spec.get("slug", "")).replace("-", "").replace("_", "").isalnum()
    ):
        problems.append(
            Problem(_("The questionnaire's key must be letters, digits, - or _."), "slug")
        )
    if spec.get("kind", QuestionnaireKind.SURVEY) not in QuestionnaireKind.values:
        problems.append(
            Problem(
                _("Unknown questionnaire kind “%(kind)s”.") % {"kind": spec.get("kind")}, "kind"
            )
        )
    sections = spec.get("sections")
    if not isinstance(sections, list) or not (sections or draft):
        return [*problems, Problem(_("The questionnaire needs at least one section."))]
    section_keys: set[str] = set()
    earlier: dict[str, frozenset[str] | None] = {}
    for index, s in enumerate(sections):
        if not isinstance(s, dict):
            problems.append(
                Problem(_("Section %(n)d is not an object.") % {"n": index + 1}, section=index)
            )
            continue
        problems += [
            replace(p, section=index) for p in _section_problems(s, section_keys, earlier, draft)
        ]
        section_keys.add(str(s.get("key") or ""))
        questions = s.get("questions")
        if not isinstance(questions, list):
            continue
        where = _("Section “%(key)s”") % {"key": str(s.get("key") or "")[:60] or "?"}
        for number, q in enumerate(questions):
            if not isinstance(q, dict):
                problems.append(
                    Problem(
                        _("%(where)s: question %(n)d is not an object.")
                        % {"where": where, "n": number + 1},
                        section=index,
                        question=number,
                    )
                )
                continue
            problems += [
                replace(p, section=index, question=number) for p in _question_problems(q, earlier)
            ]
            earlier[str(q.get("key") or "")] = answer_values(q)
    return problems


def _section_problems(
    s: dict[str, Any],
    keys: set[str],
    earlier: dict[str, frozenset[str] | None],
    draft: bool,
) -> list[Problem]:
    key = str(s.get("key") or "")
    where = _("Section “%(key)s”") % {"key": key[:60] or "?"}
    problems = _length_problems(s, {"key": 60, "title": 200, "title_en": 200}, where)
    if not key or not key.replace("_", "").replace("-", "").isalnum():
        problems.append(
            Problem(
                _("%(where)s: the key must be letters, digits, - or _.") % {"where": where}, "key"
            )
        )
    elif key in keys:
        problems.append(Problem(_("%(where)s: the key is used twice.") % {"where": where}, "key"))
    if not str(s.get("title") or "").strip():
        problems.append(Problem(_("%(where)s: a title is missing.") % {"where": where}, "title"))
    problems += _condition_problems(s.get("relevant"), earlier, where)
    problems += _number_problems(s.get("weight", 1), where, _("weight"), "weight")
    questions = s.get("questions")
    if not isinstance(questions, list) or not (questions or draft):
        problems.append(Problem(_("%(where)s: it has no questions.") % {"where": where}))
    return problems


def _question_problems(
    q: dict[str, Any], earlier: dict[str, frozenset[str] | None]
) -> list[Problem]:
    key = str(q.get("key") or "")
    where = _("Question “%(key)s”") % {"key": key[:60] or "?"}
    problems = _length_problems(q, {"key": 60}, where)
    for flag in ("required", "allow_na", "scored"):
        if flag in q and not isinstance(q[flag], bool):
            problems.append(
                Problem(
                    _("%(where)s: %(flag)s must be true or false.")
                    % {"where": where, "flag": flag},
                    flag,
                )
            )
    labels = q.get("scale_labels", {})
    if not isinstance(labels, dict):
        problems.append(
            Problem(_("%(where)s: the scale labels must be an object.") % {"where": where}, "scale")
        )
    else:
        problems += [
            replace(p, field=SCALE_LABEL_FIELDS[p.field])
            for p in _length_problems(labels, dict.fromkeys(SCALE_LABEL_FIELDS, 80), where)
        ]
    if not key or not key.replace("_", "").isalnum() or not key[0].isalpha():
        problems.append(
            Problem(
                _(
                    "%(where)s: a variable name starts with a letter and has only letters, "
                    "digits and _."
                )
                % {"where": where},
                "key",
            )
        )
    elif key in earlier:
        problems.append(
            Problem(_("%(where)s: the variable name is used twice.") % {"where": where}, "key")
        )
    qtype = q.get("type")
    if qtype not in QuestionType.values:
        return [
            *problems,
            Problem(
                _("%(where)s: unknown type “%(type)s”.") % {"where": where, "type": qtype}, "type"
            ),
        ]
    if not str(q.get("text") or "").strip():
        problems.append(
            Problem(_("%(where)s: the question text is missing.") % {"where": where}, "text")
        )
    if q.get("role", "") not in QuestionRole.values:
        problems.append(
            Problem(
                _("%(where)s: unknown role “%(role)s”.") % {"where": where, "role": q.get("role")},
                "role",
            )
        )
    if qtype == QuestionType.RATING and not _is_rating_scale(q.get("scale")):
        problems.append(
            Problem(
                _("%(where)s: a rating scale is 1–5, 1–6, 1–7 or 1–10.") % {"where": where}, "scale"
            )
        )
    if not isinstance(q.get("options") or [], list) or not all(
        isinstance(o, dict) for o in q.get("options") or []
    ):
        return [
            *problems,
            Problem(
                _("%(where)s: options must be a list of objects.") % {"where": where}, "options"
            ),
        ]
    problems += _option_problems(q, where)
    if q.get("scored") and q.get("role") == QuestionRole.CX:
        problems.append(
            Problem(
                _("%(where)s: CX items are reported but never scored.") % {"where": where}, "scored"
            )
        )
    problems += _number_problems(q.get("weight", 1), where, _("weight"), "weight")
    problems += _condition_problems(q.get("relevant"), earlier, where)
    if q.get("constraint") is not None:
        # A constraint tests the answer itself, and earlier answers.
        own = {**earlier, str(q.get("key") or ""): answer_values(q)}
        problems += _condition_problems(q["constraint"], own, where)
    problems += _expression_problems(q, earlier, where)
    return problems


def _expression_problems(
    q: dict[str, Any], earlier: dict[str, frozenset[str] | None], where: str
) -> list[Problem]:
    """A calculation or choice filter reads only earlier questions (and a filter, choice
    columns)."""
    problems: list[Problem] = []
    for field in ("calculation", "choice_filter"):
        tree = q.get(field)
        if tree is None:
            continue
        try:
            check_tree(tree, columns=field == "choice_filter")
        except ExpressionError:
            problems.append(
                Problem(_("%(where)s: the expression cannot be read.") % {"where": where}, field)
            )
            continue
        missing = references(tree) - earlier.keys()
        if missing:
            problems.append(
                Problem(
                    _(
                        "%(where)s: the expression refers to %(keys)s, which is not an earlier "
                        "question."
                    )
                    % {"where": where, "keys": ", ".join(sorted(missing))},
                    field,
                )
            )
    return problems


def _option_problems(q: dict[str, Any], where: str) -> list[Problem]:
    options = options_of(q)
    problems: list[Problem] = []
    for index, o in enumerate(options):
        problems += [
            replace(p, field=f"options.{p.field}", option=index)
            for p in _length_problems(o, {"value": 60, "label": 300, "label_en": 300}, where)
        ]
    if q.get("type") in CHOICE_TYPES and len(options) < 2:
        problems.append(
            Problem(
                _("%(where)s: a choice question needs at least two options.") % {"where": where},
                "options",
            )
        )
    values = [str(o.get("value") or "") for o in options]
    bad = [i for i, v in enumerate(values) if not v or values.index(v) != i]
    if bad:
        problems.append(
            Problem(
                _("%(where)s: every option needs its own code.") % {"where": where},
                "options.value",
                option=bad[0],
            )
        )
    unlabelled = [i for i, o in enumerate(options) if not str(o.get("label") or "").strip()]
    if unlabelled:
        problems.append(
            Problem(
                _("%(where)s: every option needs a label.") % {"where": where},
                "options.label",
                option=unlabelled[0],
            )
        )
    for index, o in enumerate(options):
        if o.get("points") is not None:
            problems += [
                replace(p, option=index)
                for p in _number_problems(o["points"], where, _("points"), "options.points")
            ]
    if q.get("scored") and options:
        points = [o.get("points") for o in options]
        if any(p is None for p in points):
            problems.append(
                Problem(
                    _("%(where)s: every option of a scored question needs points.")
                    % {"where": where},
                    "options.points",
                    option=points.index(None),
                )
            )
        elif not any(_is_zero(p) for p in points):
            problems.append(
                Problem(
                    _("%(where)s: a scored question needs a 0-point option.") % {"where": where},
                    "options.points",
                )
            )
    return problems


def _condition_problems(
    condition: Any, earlier: dict[str, frozenset[str] | None], where: str
) -> list[Problem]:
    try:
        leaves = condition_leaves(condition)
    except ConditionError:
        return [
            Problem(_("%(where)s: the condition cannot be read.") % {"where": where}, "relevant")
        ]
    missing = {leaf["q"] for leaf in leaves} - earlier.keys()
    if missing:
        return [
            Problem(
                _("%(where)s: the condition refers to %(keys)s, which is not an earlier question.")
                % {"where": where, "keys": ", ".join(sorted(missing))},
                "relevant",
            )
        ]
    problems: list[Problem] = []
    for leaf in leaves:
        if "cmp" in leaf:
            continue  # a number compared: any number answer may meet it
        wanted = [str(v) for v in leaf["in"]] if "in" in leaf else [str(leaf["has"])]
        allowed = earlier[leaf["q"]]
        if not wanted:
            problems.append(
                Problem(
                    _("%(where)s: the condition on %(key)s names no answer.")
                    % {"where": where, "key": leaf["q"]},
                    "relevant",
                )
            )
        unknown = [v for v in wanted if allowed is not None and v not in allowed]
        if unknown:
            problems.append(
                Problem(
                    _("%(where)s: the condition uses %(values)s, which %(key)s does not offer.")
                    % {
                        "where": where,
                        "key": leaf["q"],
                        "values": ", ".join(f"“{v}”" for v in unknown),
                    },
                    "relevant",
                )
            )
    return problems


def _number_problems(value: Any, where: str, what: str, field: str) -> list[Problem]:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return [
            Problem(
                _("%(where)s: %(what)s must be a number.") % {"where": where, "what": what}, field
            )
        ]
    if not number.is_finite() or number < 0 or number > 10_000:
        return [
            Problem(
                _("%(where)s: %(what)s must be from 0 to 10 000.") % {"where": where, "what": what},
                field,
            )
        ]
    if number != number.quantize(Decimal("0.001")):
        # Stored with three decimals: 0.0004 would silently become 0.
        return [
            Problem(
                _("%(where)s: %(what)s may have at most three decimals.")
                % {"where": where, "what": what},
                field,
            )
        ]
    return []


def _length_problems(
    obj: dict[str, Any], limits: dict[str, int], where: str, *, prefix: str = ""
) -> list[Problem]:
    return [
        Problem(
            _("%(where)s: %(field)s is longer than %(n)d characters.")
            % {"where": where, "field": field, "n": limit},
            prefix + field,
        )
        for field, limit in limits.items()
        if len(str(obj.get(field) or "")) > limit
    ]


def _is_zero(points: Any) -> bool:
    try:
        return Decimal(str(points)) == 0
    except (InvalidOperation, ValueError):
        return False


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


def question_spec(*, question: Question) -> dict[str, Any]:
    """A stored question as the spec ``questionnaire_create`` takes (empty extras left out),
    options from ``question.options.all()`` (prefetch them)."""
    spec: dict[str, Any] = {
        "key": question.key,
        "type": question.type,
        "role": question.role,
        "text": question.text,
        "text_en": question.text_en,
        "help": question.help_text,
        "help_en": question.help_text_en,
        "required": question.required,
        "allow_na": question.allow_na,
        "scored": question.scored,
        "weight": question.weight,
        "relevant": question.relevant,
    }
    if question.constraint is not None:
        spec["constraint"] = question.constraint
    if question.calculation is not None:
        spec["calculation"] = question.calculation
    if question.choice_filter is not None:
        spec["choice_filter"] = question.choice_filter
    if question.translations:
        spec["translations"] = question.translations
    if question.type == QuestionType.RATING:
        spec["scale"] = [question.scale_min, question.scale_max]
    labels = {key: getattr(question, field) for key, field in SCALE_LABEL_FIELDS.items()}
    if any(labels.values()):
        spec["scale_labels"] = {k: v for k, v in labels.items() if v}
    if question.type in OPTION_TYPES:
        spec["options"] = [
            {
                "value": o.value,
                "label": o.label,
                "label_en": o.label_en,
                "points": None if o.points is None else Decimal(o.points),
                **({"translations": o.translations} if o.translations else {}),
                **({"columns": o.columns} if o.columns else {}),
            }
            for o in question.options.all()
        ]
    return spec
