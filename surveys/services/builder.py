"""The questionnaire builder's writes: one section, question or option at a time.

Every write locks the questionnaire row, refuses a version that has responses, checks the whole
questionnaire after the change with the rules ``questionnaire_create`` uses (as a draft: sections
may still be empty), and touches ``updated_at`` so the cached respondent structure is rebuilt.
Problems are raised as a ``DomainError`` whose messages are keyed by the spec field they concern
(``__all__`` for the rest), so forms can show each beside its field.
"""

import copy
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _

from kundeservice.errors import ConflictError, DomainError
from surveys.branching import ConditionError, condition_leaves
from surveys.models import Option, Question, Questionnaire, QuestionnaireKind, QuestionType, Section
from surveys.selectors import OutlineSection, questionnaire_outline
from surveys.services.questionnaires import (
    OPTION_TYPES,
    SCALE_LABEL_FIELDS,
    Problem,
    options_of,
    questionnaire_is_locked,
    spec_problems,
)
from surveys.services.questionnaires import (
    question_spec as questionnaire_question_spec,
)

Spec = dict[str, Any]

QUESTIONNAIRE_FIELDS = ("title", "title_en", "intro", "intro_en", "kind")
SECTION_FIELDS = ("key", "title", "title_en", "description", "description_en", "weight", "relevant")
QUESTION_FIELDS = (
    "key",
    "type",
    "role",
    "text",
    "text_en",
    "help",
    "help_en",
    "required",
    "allow_na",
    "scored",
    "weight",
    "scale",
    "scale_labels",
    "relevant",
    "options",
)
OPTION_FIELDS = ("value", "label", "label_en", "points")
NEW_SECTION: Spec = {"title_en": "", "description": "", "description_en": "", "weight": 1}
NEW_QUESTION: Spec = {
    "role": "",
    "text_en": "",
    "help": "",
    "help_en": "",
    "required": True,
    "allow_na": False,
    "scored": False,
    "weight": 1,
    "scale_labels": {},
    "relevant": None,
    "options": [],
}


def questionnaire_new(*, slug: str, kind: str, title: str, title_en: str = "") -> Questionnaire:
    """Start a questionnaire (version 1, no sections yet) under a key not used before."""
    spec: Spec = {"slug": slug, "kind": kind, "title": title, "title_en": title_en, "sections": []}
    errors = _errors(spec_problems(spec, draft=True), target=None)
    with transaction.atomic():
        if not errors and Questionnaire.objects.filter(slug=slug).exists():
            errors = {
                "slug": [
                    _(
                        "A questionnaire with the key “%(slug)s” exists already; open it and make "
                        "a new version instead."
                    )
                    % {"slug": slug}
                ]
            }
        if errors:
            raise DomainError(errors, code="invalid_questionnaire")
        try:
            with transaction.atomic():
                return Questionnaire.objects.create(
                    slug=slug, version=1, kind=kind, title=title, title_en=title_en
                )
        except IntegrityError:  # created a moment ago by someone else
            raise DomainError(
                {"slug": [_("A questionnaire with this key exists already.")]}, code="exists"
            ) from None


def questionnaire_update(*, questionnaire: Questionnaire, spec: Spec) -> Questionnaire:
    """Change the titles, introductions or kind."""
    with transaction.atomic():
        draft = _open(questionnaire)
        after = copy.deepcopy(draft.spec)
        after.update(_only(spec, QUESTIONNAIRE_FIELDS))
        _check(draft.spec, after, target=None)
        locked = draft.questionnaire
        for field in ("title", "title_en", "intro", "intro_en"):
            setattr(locked, field, after.get(field) or "")
        locked.kind = after.get("kind") or QuestionnaireKind.SURVEY
        locked.save()
    return locked


def questionnaire_new_version(*, questionnaire: Questionnaire) -> Questionnaire:
    """Copy ``questionnaire`` whole (sections, questions, options, conditions) into the next free
    version of its key, to edit while the original stays as its responses saw it."""
    with transaction.atomic():
        latest = (
            Questionnaire.objects.select_for_update()
            .filter(slug=questionnaire.slug)
            .order_by("-version")
            .first()
        )
        outline = questionnaire_outline(questionnaire=questionnaire)
        fresh = Questionnaire.objects.create(
            slug=questionnaire.slug,
            version=(latest.version if latest else questionnaire.version) + 1,
            previous_version=questionnaire,
            kind=questionnaire.kind,
            title=questionnaire.title,
            title_en=questionnaire.title_en,
            intro=questionnaire.intro,
            intro_en=questionnaire.intro_en,
        )
        sections = Section.objects.bulk_create(
            [_clone(item.section, questionnaire_id=fresh.pk) for item in outline]
        )
        old_questions = [q for item in outline for q in item.questions]
        new_section = {item.section.pk: s.pk for item, s in zip(outline, sections, strict=True)}
        questions = Question.objects.bulk_create(
            [
                _clone(q, questionnaire_id=fresh.pk, section_id=new_section[q.section_id])
                for q in old_questions
            ]
        )
        Option.objects.bulk_create(
            [
                _clone(o, question_id=new.pk)
                for old, new in zip(old_questions, questions, strict=True)
                for o in old.options.all()
            ]
        )
    return fresh


def section_create(
    *, questionnaire: Questionnaire, spec: Spec, position: int | None = None
) -> Section:
    """Add a section (at the end unless ``position`` says otherwise)."""
    with transaction.atomic():
        draft = _open(questionnaire)
        after = copy.deepcopy(draft.spec)
        index = _clamp(position, len(after["sections"]))
        new = {**NEW_SECTION, **_only(spec, SECTION_FIELDS), "questions": []}
        after["sections"].insert(index, new)
        _check(draft.spec, after, target=(index, None, None))
        section = Section.objects.create(
            questionnaire=draft.questionnaire, position=index, **_section_fields(new)
        )
        new["_pk"] = section.pk
        _sync(draft, after)
    return section


def section_update(*, section: Section, spec: Spec) -> Section:
    """Change a section's key, titles, descriptions, weight or condition."""
    with transaction.atomic():
        draft = _open(section.questionnaire)
        after = copy.deepcopy(draft.spec)
        index = draft.section_index(after, section.pk)
        after["sections"][index].update(_only(spec, SECTION_FIELDS))
        _check(draft.spec, after, target=(index, None, None))
        locked = draft.sections[section.pk]
        for field, value in _section_fields(after["sections"][index]).items():
            setattr(locked, field, value)
        locked.save()
        _sync(draft, after)
    return locked


def section_delete(*, section: Section) -> None:
    """Delete a section and its questions, unless a later condition depends on them."""
    with transaction.atomic():
        draft = _open(section.questionnaire)
        after = copy.deepcopy(draft.spec)
        index = draft.section_index(after, section.pk)
        removed = after["sections"].pop(index)
        keys = {q["key"] for q in removed["questions"]}
        _refuse_if_used(
            after,
            lambda leaf: leaf["q"] in keys,
            _("The section “%(key)s” cannot be deleted") % {"key": removed["key"]},
        )
        _check(draft.spec, after, target=None)
        draft.sections[section.pk].delete()
        _sync(draft, after)


def section_move(*, section: Section, position: int) -> Section:
    """Put a section at ``position`` (0 is first), unless a condition would then look ahead."""
    with transaction.atomic():
        draft = _open(section.questionnaire)
        after = copy.deepcopy(draft.spec)
        moved = after["sections"].pop(draft.section_index(after, section.pk))
        after["sections"].insert(_clamp(position, len(after["sections"])), moved)
        _check(draft.spec, after, target=None)
        _sync(draft, after)
    return draft.sections[section.pk]


def question_create(*, section: Section, spec: Spec, position: int | None = None) -> Question:
    """Add a question to ``section`` (at its end unless ``position`` says otherwise), with its
    options; a yes/no question without options gets Ja and Nei."""
    with transaction.atomic():
        draft = _open(section.questionnaire)
        after = copy.deepcopy(draft.spec)
        s_index = draft.section_index(after, section.pk)
        questions = after["sections"][s_index]["questions"]
        index = _clamp(position, len(questions))
        new = {**NEW_QUESTION, **_only(spec, QUESTION_FIELDS)}
        questions.insert(index, new)
        _check(draft.spec, after, target=(s_index, index, None))
        question = Question.objects.create(
            questionnaire=draft.questionnaire,
            section=draft.sections[section.pk],
            position=index,
            **_question_fields(new),
        )
        new["_pk"] = question.pk
        _create_options(question, options_of(new) if new["type"] in OPTION_TYPES else [])
        _sync(draft, after)
    return question


def question_update(*, question: Question, spec: Spec) -> Question:
    """Change a question. Renaming it rewrites the conditions that refer to it; ``options`` in
    ``spec`` replaces its options, and a type without options drops them."""
    with transaction.atomic():
        draft = _open(question.questionnaire)
        after = copy.deepcopy(draft.spec)
        s_index, index = draft.question_index(after, question.pk)
        target = after["sections"][s_index]["questions"][index]
        old_key, current = target["key"], target["options"]
        target.update(_only(spec, QUESTION_FIELDS))
        if target.get("type") not in OPTION_TYPES:
            target["options"] = []
        if target.get("key") != old_key:
            _rewrite_conditions(after, lambda leaf: _renamed_question(leaf, old_key, target["key"]))
        _check(draft.spec, after, target=(s_index, index, None))
        locked = draft.questions[question.pk]
        for field, value in _question_fields(target).items():
            setattr(locked, field, value)
        locked.save()
        wanted = options_of(target) if target["type"] in OPTION_TYPES else []
        if "options" in spec or bool(current) != bool(wanted):
            # Replaced, dropped with a type that has none, or Ja/Nei for a new yes/no question.
            locked.options.all().delete()
            _create_options(locked, wanted)
        _sync(draft, after)
    return locked


def question_delete(*, question: Question) -> None:
    """Delete a question, unless a condition depends on it."""
    with transaction.atomic():
        draft = _open(question.questionnaire)
        after = copy.deepcopy(draft.spec)
        s_index, index = draft.question_index(after, question.pk)
        removed = after["sections"][s_index]["questions"].pop(index)
        _refuse_if_used(
            after,
            lambda leaf: leaf["q"] == removed["key"],
            _("The question “%(key)s” cannot be deleted") % {"key": removed["key"]},
        )
        _check(draft.spec, after, target=None)
        draft.questions[question.pk].delete()
        _sync(draft, after)


def question_move(*, question: Question, position: int, section: Section | None = None) -> Question:
    """Put a question at ``position`` in ``section`` (its own unless given), unless a condition
    would then refer to a question that does not come before it."""
    with transaction.atomic():
        draft = _open(question.questionnaire)
        if section is not None and section.pk not in draft.sections:
            raise DomainError(_("That section is not part of this questionnaire."), code="section")
        after = copy.deepcopy(draft.spec)
        s_index, index = draft.question_index(after, question.pk)
        moved = after["sections"][s_index]["questions"].pop(index)
        to = draft.section_index(after, section.pk) if section is not None else s_index
        questions = after["sections"][to]["questions"]
        questions.insert(_clamp(position, len(questions)), moved)
        _check(draft.spec, after, target=None)
        _sync(draft, after)
    return draft.questions[question.pk]


def option_create(*, question: Question, spec: Spec, position: int | None = None) -> Option:
    """Add an option to a choice or yes/no question."""
    with transaction.atomic():
        draft = _open(question.questionnaire)
        after = copy.deepcopy(draft.spec)
        s_index, q_index = draft.question_index(after, question.pk)
        target = after["sections"][s_index]["questions"][q_index]
        if target["type"] not in OPTION_TYPES:
            raise DomainError(_("Only choice and yes/no questions have options."), code="type")
        index = _clamp(position, len(target["options"]))
        new = {"label_en": "", "points": None, **_only(spec, OPTION_FIELDS)}
        target["options"].insert(index, new)
        _check(draft.spec, after, target=(s_index, q_index, index))
        option = Option.objects.create(
            question=draft.questions[question.pk], position=index, **_option_fields(new)
        )
        new["_pk"] = option.pk
        _sync(draft, after)
    return option


def option_update(*, option: Option, spec: Spec) -> Option:
    """Change an option; a new code is carried into the conditions that use the old one."""
    with transaction.atomic():
        draft = _open(option.question.questionnaire)
        after = copy.deepcopy(draft.spec)
        s_index, q_index, index = draft.option_index(after, option.pk)
        question = after["sections"][s_index]["questions"][q_index]
        target = question["options"][index]
        old_value = target["value"]
        target.update(_only(spec, OPTION_FIELDS))
        if str(target.get("value")) != old_value:
            _rewrite_conditions(
                after,
                lambda leaf: _renamed_value(leaf, question["key"], old_value, str(target["value"])),
            )
        _check(draft.spec, after, target=(s_index, q_index, index))
        locked = draft.options[option.pk]
        for field, value in _option_fields(target).items():
            setattr(locked, field, value)
        locked.save()
        _sync(draft, after)
    return locked


def option_delete(*, option: Option) -> None:
    """Delete an option, unless a condition uses it or the question would be left with too few."""
    with transaction.atomic():
        draft = _open(option.question.questionnaire)
        after = copy.deepcopy(draft.spec)
        s_index, q_index, index = draft.option_index(after, option.pk)
        question = after["sections"][s_index]["questions"][q_index]
        removed = question["options"].pop(index)
        _refuse_if_used(
            after,
            lambda leaf: leaf["q"] == question["key"] and removed["value"] in _leaf_values(leaf),
            _("The option “%(value)s” cannot be deleted") % {"value": removed["value"]},
        )
        if len(question["options"]) < 2:
            raise DomainError(
                _("A question needs at least two options to choose from."), code="too_few"
            )
        _check(draft.spec, after, target=(s_index, q_index, None))
        draft.options[option.pk].delete()
        _sync(draft, after)


def option_move(*, option: Option, position: int) -> Option:
    """Put an option at ``position`` among its question's options."""
    with transaction.atomic():
        draft = _open(option.question.questionnaire)
        after = copy.deepcopy(draft.spec)
        s_index, q_index, index = draft.option_index(after, option.pk)
        options = after["sections"][s_index]["questions"][q_index]["options"]
        moved = options.pop(index)
        options.insert(_clamp(position, len(options)), moved)
        _sync(draft, after)
    return draft.options[option.pk]


def question_spec(question: Question) -> Spec:
    """A question as a spec whose items carry their ``_pk``, with every scale label and the
    options list present (the builder's forms and edits start from it)."""
    spec: Spec = questionnaire_question_spec(question=question)
    spec["scale_labels"] = {
        key: getattr(question, field) for key, field in SCALE_LABEL_FIELDS.items()
    }
    spec["options"] = [
        {
            "_pk": o.pk,
            "value": o.value,
            "label": o.label,
            "label_en": o.label_en,
            "points": o.points,
        }
        for o in question.options.all()
    ]
    spec["_pk"] = question.pk
    return spec


@dataclass
class _Draft:
    """The locked questionnaire as a spec (every item carrying its ``_pk``) and its rows."""

    questionnaire: Questionnaire
    spec: Spec
    sections: dict[int, Section]
    questions: dict[int, Question]
    options: dict[int, Option]

    def section_index(self, spec: Spec, pk: int) -> int:
        for index, s in enumerate(spec["sections"]):
            if s.get("_pk") == pk:
                return index
        raise _gone()

    def question_index(self, spec: Spec, pk: int) -> tuple[int, int]:
        for s_index, s in enumerate(spec["sections"]):
            for index, q in enumerate(s["questions"]):
                if q.get("_pk") == pk:
                    return s_index, index
        raise _gone()

    def option_index(self, spec: Spec, pk: int) -> tuple[int, int, int]:
        for s_index, s in enumerate(spec["sections"]):
            for q_index, q in enumerate(s["questions"]):
                for index, o in enumerate(q["options"]):
                    if o.get("_pk") == pk:
                        return s_index, q_index, index
        raise _gone()


def _open(questionnaire: Questionnaire) -> _Draft:
    locked = Questionnaire.objects.select_for_update().get(pk=questionnaire.pk)
    if questionnaire_is_locked(questionnaire=locked):
        raise ConflictError(
            _("This version has responses; make a new version to edit it."), code="locked"
        )
    outline = questionnaire_outline(questionnaire=locked)
    return _Draft(
        questionnaire=locked,
        spec=_spec_of(locked, outline),
        sections={item.section.pk: item.section for item in outline},
        questions={q.pk: q for item in outline for q in item.questions},
        options={o.pk: o for item in outline for q in item.questions for o in q.options.all()},
    )


def _spec_of(questionnaire: Questionnaire, outline: list[OutlineSection]) -> Spec:
    return {
        "slug": questionnaire.slug,
        "kind": questionnaire.kind,
        "title": questionnaire.title,
        "title_en": questionnaire.title_en,
        "intro": questionnaire.intro,
        "intro_en": questionnaire.intro_en,
        "sections": [
            {
                "_pk": item.section.pk,
                "key": item.section.key,
                "title": item.section.title,
                "title_en": item.section.title_en,
                "description": item.section.description,
                "description_en": item.section.description_en,
                "weight": item.section.weight,
                "relevant": item.section.relevant,
                "questions": [question_spec(q) for q in item.questions],
            }
            for item in outline
        ],
    }


def _check(before: Spec, after: Spec, *, target: tuple[int, int | None, int | None] | None) -> None:
    """Refuse ``after`` if it has problems ``before`` did not have. Problems of ``target``
    (section, question and option index) are keyed by their field, the rest by ``__all__``."""
    known = {p.message for p in spec_problems(before, draft=True)}
    errors = _errors(
        [p for p in spec_problems(after, draft=True) if p.message not in known], target=target
    )
    if errors:
        raise DomainError(errors, code="invalid")


def _errors(
    problems: list[Problem], *, target: tuple[int, int | None, int | None] | None
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for p in problems:
        errors.setdefault(_field_of(p, target), []).append(p.message)
    return errors


def _field_of(p: Problem, target: tuple[int, int | None, int | None] | None) -> str:
    if not p.field:
        return NON_FIELD_ERRORS
    if target is None:
        return p.field if p.section is None else NON_FIELD_ERRORS
    section, question, option = target
    if (p.section, p.question) != (section, question):
        return NON_FIELD_ERRORS
    if option is not None:
        inside = p.field.startswith("options.") and p.option == option
        return p.field.removeprefix("options.") if inside else NON_FIELD_ERRORS
    if p.field.startswith("options.") and p.option is not None:
        return f"options.{p.option}.{p.field.removeprefix('options.')}"
    return p.field


def _sync(draft: _Draft, after: Spec) -> None:
    """Write what moving items changed: positions, a question's section, and conditions."""
    sections: list[Section] = []
    questions: list[Question] = []
    options: list[Option] = []
    for s_index, s in enumerate(after["sections"]):
        section = draft.sections.get(s.get("_pk", 0))
        if section is not None and _differs(section, position=s_index, relevant=s["relevant"]):
            sections.append(section)
        for q_index, q in enumerate(s["questions"]):
            question = draft.questions.get(q.get("_pk", 0))
            if question is not None and (
                _differs(question, position=q_index, relevant=q["relevant"])
                | _moved_to(question, draft.sections[s["_pk"]])
            ):
                questions.append(question)
            for o_index, o in enumerate(q["options"]):
                option = draft.options.get(o.get("_pk", 0))
                if option is not None and _differs(option, position=o_index):
                    options.append(option)
    Section.objects.bulk_update(sections, ["position", "relevant"])
    Question.objects.bulk_update(questions, ["position", "section", "relevant"])
    Option.objects.bulk_update(options, ["position"])
    draft.questionnaire.save(update_fields=["updated_at"])


def _differs(obj: models.Model, **values: Any) -> bool:
    changed = False
    for field, value in values.items():
        if getattr(obj, field) != value:
            setattr(obj, field, value)
            changed = True
    return changed


def _moved_to(question: Question, section: Section) -> bool:
    if question.section_id == section.pk:
        return False
    question.section = section
    return True


def _refuse_if_used(spec: Spec, uses: Callable[[dict[str, Any]], bool], what: str) -> None:
    users = [
        item["key"]
        for s in spec["sections"]
        for item in [s, *s["questions"]]
        if any(uses(leaf) for leaf in _leaves(item.get("relevant")))
    ]
    if users:
        raise DomainError(
            _("%(what)s: the condition of %(users)s uses it. Change that condition first.")
            % {"what": what, "users": ", ".join(f"“{u}”" for u in users)},
            code="in_use",
        )


def _rewrite_conditions(spec: Spec, change: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    for s in spec["sections"]:
        for item in [s, *s["questions"]]:
            item["relevant"] = _rewrite(item.get("relevant"), change)


def _rewrite(condition: Any, change: Callable[[dict[str, Any]], dict[str, Any]]) -> Any:
    if not isinstance(condition, dict):
        return condition
    for combinator in ("all", "any"):
        if isinstance(condition.get(combinator), list):
            return {combinator: [_rewrite(c, change) for c in condition[combinator]]}
    if "not" in condition:
        return {"not": _rewrite(condition["not"], change)}
    return change(condition)


def _renamed_question(leaf: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    return {**leaf, "q": new} if leaf.get("q") == old else leaf


def _renamed_value(leaf: dict[str, Any], key: str, old: str, new: str) -> dict[str, Any]:
    if leaf.get("q") != key:
        return leaf
    if isinstance(leaf.get("in"), list):
        return {**leaf, "in": [new if str(v) == old else v for v in leaf["in"]]}
    if str(leaf.get("has")) == old:
        return {**leaf, "has": new}
    return leaf


def _leaves(condition: Any) -> list[dict[str, Any]]:
    try:
        return condition_leaves(condition)
    except ConditionError:
        return []


def _leaf_values(leaf: dict[str, Any]) -> set[str]:
    if isinstance(leaf.get("in"), list):
        return {str(v) for v in leaf["in"]}
    return {str(leaf.get("has"))}


def _only(spec: Spec, fields: tuple[str, ...]) -> Spec:
    return {k: v for k, v in spec.items() if k in fields}


def _clamp(position: int | None, length: int) -> int:
    return length if position is None else max(0, min(position, length))


def _section_fields(s: Spec) -> dict[str, Any]:
    return {
        "key": s["key"],
        "title": s["title"],
        "title_en": s.get("title_en") or "",
        "description": s.get("description") or "",
        "description_en": s.get("description_en") or "",
        "weight": Decimal(str(s.get("weight", 1))),
        "relevant": s.get("relevant"),
    }


def _question_fields(q: Spec) -> dict[str, Any]:
    scale = q.get("scale") if q["type"] == QuestionType.RATING else None
    labels = q.get("scale_labels") or {}
    return {
        "key": q["key"],
        "type": q["type"],
        "role": q.get("role") or "",
        "text": q["text"],
        "text_en": q.get("text_en") or "",
        "help_text": q.get("help") or "",
        "help_text_en": q.get("help_en") or "",
        "required": q.get("required", True),
        "allow_na": q.get("allow_na", False),
        "scored": q.get("scored", False),
        "weight": Decimal(str(q.get("weight", 1))),
        "scale_min": scale[0] if scale else None,
        "scale_max": scale[1] if scale else None,
        "relevant": q.get("relevant"),
        **{field: str(labels.get(key) or "") for key, field in SCALE_LABEL_FIELDS.items()},
    }


def _option_fields(o: Spec) -> dict[str, Any]:
    points = o.get("points")
    return {
        "value": str(o["value"]),
        "label": o["label"],
        "label_en": o.get("label_en") or "",
        "points": None if points is None or points == "" else Decimal(str(points)),
    }


def _create_options(question: Question, options: list[Spec]) -> None:
    Option.objects.bulk_create(
        Option(question=question, position=index, **_option_fields(o))
        for index, o in enumerate(options)
    )


def _clone(obj: models.Model, **changes: Any) -> Any:
    """An unsaved copy of ``obj`` with ``changes`` (attribute names, e.g. ``section_id``)."""
    values = {
        f.attname: getattr(obj, f.attname)
        for f in obj._meta.concrete_fields
        if not f.primary_key and f.attname not in {"created_at", "updated_at"}
    }
    return type(obj)(**{**values, **changes})


def _gone() -> DomainError:
    return DomainError(
        _("That part of the questionnaire no longer exists; reload the page."), code="gone"
    )
