"""The builder's writes: each one checked like questionnaire_create, refused on a locked version,
and visible to respondents at once."""

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.utils import translation

from kundeservice.errors import ConflictError, DomainError
from surveys.models import Option, Question, Questionnaire, Response, ResponseSource, Section
from surveys.selectors import questionnaire_structure
from surveys.services import builder
from tests.factories import WaveFactory, ksindeks_questionnaire

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english() -> Any:
    with translation.override("en"):
        yield


def q(questionnaire: Questionnaire, key: str) -> Question:
    return Question.objects.get(questionnaire=questionnaire, key=key)


def s(questionnaire: Questionnaire, key: str) -> Section:
    return Section.objects.get(questionnaire=questionnaire, key=key)


def keys(questionnaire: Questionnaire, section: str) -> list[str]:
    return list(
        Question.objects.filter(questionnaire=questionnaire, section__key=section)
        .order_by("position")
        .values_list("key", flat=True)
    )


def errors_of(caught: pytest.ExceptionInfo[DomainError]) -> dict[str, list[str]]:
    return caught.value.message_dict


CHOICE = {
    "key": "fast",
    "type": "single_choice",
    "text": "Gikk det raskt?",
    "text_en": "Was it quick?",
    "scored": True,
    "options": [
        {"value": "yes", "label": "Ja", "label_en": "Yes", "points": 2},
        {"value": "no", "label": "Nei", "label_en": "No", "points": 0},
    ],
}


def test_start_a_questionnaire_and_refuse_a_key_in_use() -> None:
    first = builder.questionnaire_new(slug="kort", kind="poll", title="Kort måling")
    assert (first.version, first.kind, first.sections.count()) == (1, "poll", 0)
    with pytest.raises(DomainError) as caught:
        builder.questionnaire_new(slug="kort", kind="poll", title="Igjen")
    assert "exists already" in errors_of(caught)["slug"][0]
    with pytest.raises(DomainError) as caught:
        builder.questionnaire_new(slug="bad key", kind="poll", title="")
    assert set(errors_of(caught)) == {"slug", "title"}
    assert Questionnaire.objects.count() == 1


def test_update_titles_and_kind() -> None:
    questionnaire = ksindeks_questionnaire()
    builder.questionnaire_update(
        questionnaire=questionnaire,
        spec={"title": "Ny tittel", "intro_en": "Hello", "kind": "poll"},
    )
    questionnaire.refresh_from_db()
    assert (questionnaire.title, questionnaire.intro_en, questionnaire.kind) == (
        "Ny tittel",
        "Hello",
        "poll",
    )
    with pytest.raises(DomainError) as caught:
        builder.questionnaire_update(questionnaire=questionnaire, spec={"kind": "quiz"})
    assert "Unknown questionnaire kind" in errors_of(caught)["kind"][0]


def test_sections_are_added_changed_moved_and_deleted() -> None:
    questionnaire = builder.questionnaire_new(slug="ny", kind="survey", title="Ny")
    first = builder.section_create(questionnaire=questionnaire, spec={"key": "a", "title": "A"})
    second = builder.section_create(
        questionnaire=questionnaire, spec={"key": "b", "title": "B", "weight": "2.5"}, position=0
    )
    assert list(questionnaire.sections.values_list("key", "position")) == [("b", 0), ("a", 1)]
    assert second.weight == Decimal("2.5")
    builder.section_update(section=first, spec={"title": "Alfa", "title_en": "Alpha"})
    builder.section_move(section=first, position=0)
    assert list(questionnaire.sections.values_list("key", flat=True)) == ["a", "b"]
    assert s(questionnaire, "a").title_en == "Alpha"
    builder.section_delete(section=second)
    assert list(questionnaire.sections.values_list("key", flat=True)) == ["a"]


@pytest.mark.parametrize(
    ("spec", "field", "expected"),
    [
        ({"key": "two words", "title": "X"}, "key", "letters, digits"),
        ({"key": "screening", "title": "X"}, "key", "used twice"),
        ({"key": "x", "title": " "}, "title", "title is missing"),
        ({"key": "x", "title": "X", "weight": "-1"}, "weight", "from 0 to 10 000"),
        ({"key": "x", "title": "X", "relevant": {"q": "nope", "in": ["1"]}}, "relevant", "earlier"),
        (
            {"key": "x", "title": "X", "relevant": {"q": "contacted_cs", "in": ["maybe"]}},
            "relevant",
            "“maybe”, which contacted_cs does not offer",
        ),
    ],
)
def test_a_bad_section_is_refused_beside_its_field(spec: Any, field: str, expected: str) -> None:
    questionnaire = ksindeks_questionnaire()
    with pytest.raises(DomainError) as caught:
        builder.section_create(questionnaire=questionnaire, spec=spec)
    assert expected in errors_of(caught)[field][0]
    assert questionnaire.sections.count() == 4


def test_a_question_with_options_points_and_a_condition() -> None:
    questionnaire = ksindeks_questionnaire()
    experience = s(questionnaire, "experience")
    question = builder.question_create(section=experience, spec=CHOICE, position=1)
    assert keys(questionnaire, "experience")[:3] == ["satisfaction", "fast", "resolved"]
    options = list(question.options.values_list("value", "points", "position"))
    assert options == [("yes", Decimal(2), 0), ("no", Decimal(0), 1)]
    assert (question.text_en, question.scored, question.required) == ("Was it quick?", True, True)

    followup = {**CHOICE, "key": "why", "relevant": {"q": "resolved", "in": ["partly", "no"]}}
    with pytest.raises(DomainError):  # above the question it depends on
        builder.question_create(section=experience, spec=followup, position=1)
    created = builder.question_create(section=experience, spec=followup)
    assert created.relevant == {"q": "resolved", "in": ["partly", "no"]}
    assert keys(questionnaire, "experience")[-1] == "why"


def test_a_condition_must_look_back_at_a_real_answer() -> None:
    questionnaire = ksindeks_questionnaire()
    preferences = s(questionnaire, "preferences")
    builder.question_create(
        section=preferences, spec={**CHOICE, "relevant": {"q": "resolved", "in": ["partly"]}}
    )
    with pytest.raises(DomainError) as caught:
        builder.question_create(
            section=s(questionnaire, "screening"),
            spec={**CHOICE, "key": "early", "relevant": {"q": "resolved", "in": ["no"]}},
        )
    assert "not an earlier question" in errors_of(caught)["relevant"][0]
    with pytest.raises(DomainError) as caught:
        builder.question_create(
            section=preferences,
            spec={**CHOICE, "key": "late", "relevant": {"q": "satisfaction", "in": ["7"]}},
        )
    assert "“7”, which satisfaction does not offer" in errors_of(caught)["relevant"][0]
    assert not Question.objects.filter(key__in=["early", "late"]).exists()


@pytest.mark.parametrize(
    ("change", "field", "expected"),
    [
        ({"key": "1st"}, "key", "starts with a letter"),
        ({"key": "nps"}, "key", "used twice"),
        ({"type": "slider"}, "type", "unknown type"),
        ({"text": ""}, "text", "text is missing"),
        ({"type": "rating", "scale": [0, 4]}, "scale", "1–5, 1–6"),
        ({"options": CHOICE["options"][:1]}, "options", "at least two options"),
        ({"role": "cx"}, "scored", "never scored"),
        ({"weight": "abc"}, "weight", "must be a number"),
    ],
)
def test_a_bad_question_is_refused_beside_its_field(
    change: dict[str, Any], field: str, expected: str
) -> None:
    questionnaire = ksindeks_questionnaire()
    with pytest.raises(DomainError) as caught:
        builder.question_create(section=s(questionnaire, "preferences"), spec={**CHOICE, **change})
    assert expected in errors_of(caught)[field][0]
    assert not Question.objects.filter(questionnaire=questionnaire, key="fast").exists()


def test_option_problems_point_at_their_row() -> None:
    questionnaire = ksindeks_questionnaire()
    options = [{"value": "a", "label": "A", "points": 1}, {"value": "a", "label": "", "points": 1}]
    with pytest.raises(DomainError) as caught:
        builder.question_create(
            section=s(questionnaire, "preferences"), spec={**CHOICE, "options": options}
        )
    errors = errors_of(caught)
    assert "its own code" in errors["options.1.value"][0]
    assert "needs a label" in errors["options.1.label"][0]
    assert "0-point option" in errors["options.points"][0]


def test_a_yes_no_question_gets_ja_and_nei() -> None:
    questionnaire = ksindeks_questionnaire()
    question = builder.question_create(
        section=s(questionnaire, "preferences"),
        spec={"key": "again", "type": "yes_no", "text": "Igjen?"},
    )
    assert list(question.options.values_list("value", "label")) == [("yes", "Ja"), ("no", "Nei")]


def test_renaming_a_question_carries_its_conditions_along() -> None:
    questionnaire = ksindeks_questionnaire()
    builder.question_update(question=q(questionnaire, "resolved"), spec={"key": "solved"})
    assert q(questionnaire, "must_contact_again").relevant == {
        "q": "solved",
        "in": ["partly", "no"],
    }


def test_changing_the_type_replaces_or_drops_options() -> None:
    questionnaire = ksindeks_questionnaire()
    comment = q(questionnaire, "comment")
    builder.question_update(question=comment, spec={"type": "yes_no"})
    assert list(comment.options.values_list("value", flat=True)) == ["yes", "no"]
    builder.question_update(question=comment, spec={"type": "rating", "scale": [1, 5]})
    comment.refresh_from_db()
    assert (comment.scale_min, comment.scale_max, comment.options.count()) == (1, 5, 0)
    builder.question_update(question=comment, spec={**CHOICE, "key": "comment"})
    assert list(comment.options.values_list("value", flat=True)) == ["yes", "no"]


def test_a_type_change_that_breaks_a_condition_is_refused() -> None:
    questionnaire = ksindeks_questionnaire()
    with pytest.raises(DomainError) as caught:
        builder.question_update(
            question=q(questionnaire, "resolved"), spec={"type": "rating", "scale": [1, 5]}
        )
    assert "must_contact_again" in caught.value.messages[0]
    assert q(questionnaire, "resolved").options.count() == 3


def test_a_question_used_by_a_condition_cannot_be_deleted() -> None:
    questionnaire = ksindeks_questionnaire()
    with pytest.raises(DomainError) as caught:
        builder.question_delete(question=q(questionnaire, "resolved"))
    assert caught.value.messages == [
        "The question “resolved” cannot be deleted: the condition of “must_contact_again” uses "
        "it. Change that condition first."
    ]
    builder.section_delete(section=s(questionnaire, "screening"))  # nothing depends on it
    builder.section_update(
        section=s(questionnaire, "preferences"), spec={"relevant": {"q": "nps", "in": ["10"]}}
    )
    with pytest.raises(DomainError) as caught:
        builder.section_delete(section=s(questionnaire, "experience"))
    assert "the condition of “preferences” uses it" in caught.value.messages[0]
    builder.question_delete(question=q(questionnaire, "must_contact_again"))
    builder.question_delete(question=q(questionnaire, "resolved"))
    assert keys(questionnaire, "experience") == ["satisfaction", "wait_minutes", "nps"]


def test_questions_move_within_and_between_sections() -> None:
    questionnaire = ksindeks_questionnaire()
    builder.question_move(question=q(questionnaire, "nps"), position=0)
    assert keys(questionnaire, "experience")[:2] == ["nps", "satisfaction"]
    builder.question_move(
        question=q(questionnaire, "comment"), section=s(questionnaire, "contact"), position=1
    )
    assert keys(questionnaire, "contact") == ["company", "comment", "channel", "contacted_before"]
    assert keys(questionnaire, "preferences") == ["preferred_channel"]
    assert q(questionnaire, "comment").section.key == "contact"


@pytest.mark.parametrize(
    ("move", "key"),
    [
        # the dependent question above the one it depends on
        (lambda qn: {"question": q(qn, "must_contact_again"), "position": 0}, "must_contact_again"),
        # the question depended on below its dependant
        (lambda qn: {"question": q(qn, "resolved"), "position": 5}, "must_contact_again"),
        # the dependant into an earlier section
        (
            lambda qn: {
                "question": q(qn, "must_contact_again"),
                "section": s(qn, "screening"),
                "position": 1,
            },
            "must_contact_again",
        ),
    ],
)
def test_a_move_that_breaks_a_condition_is_refused(
    move: Callable[[Questionnaire], dict[str, Any]], key: str
) -> None:
    questionnaire = ksindeks_questionnaire()
    before = keys(questionnaire, "experience")
    with pytest.raises(DomainError) as caught:
        builder.question_move(**move(questionnaire))
    assert caught.value.messages == [
        f"Question “{key}”: the condition refers to resolved, which is not an earlier question."
    ]
    assert keys(questionnaire, "experience") == before


def test_a_section_move_that_breaks_a_condition_is_refused() -> None:
    questionnaire = ksindeks_questionnaire()
    builder.section_update(
        section=s(questionnaire, "preferences"),
        spec={"relevant": {"q": "contacted_cs", "in": ["yes"]}},
    )
    with pytest.raises(DomainError) as caught:
        builder.section_move(section=s(questionnaire, "preferences"), position=0)
    assert "contacted_cs, which is not an earlier question" in caught.value.messages[0]
    assert s(questionnaire, "preferences").position == 3


def test_options_are_added_renamed_moved_and_deleted() -> None:
    questionnaire = ksindeks_questionnaire()
    resolved = q(questionnaire, "resolved")
    dunno = builder.option_create(
        question=resolved, spec={"value": "dunno", "label": "Vet ikke", "label_en": "Not sure"}
    )
    builder.option_move(option=dunno, position=0)
    assert list(resolved.options.values_list("value", flat=True)) == [
        "dunno",
        "yes",
        "partly",
        "no",
    ]
    builder.option_update(
        option=Option.objects.get(question=resolved, value="no"), spec={"value": "nei"}
    )
    assert q(questionnaire, "must_contact_again").relevant == {
        "q": "resolved",
        "in": ["partly", "nei"],
    }
    with pytest.raises(DomainError) as caught:
        builder.option_delete(option=Option.objects.get(question=resolved, value="partly"))
    assert "the condition of “must_contact_again” uses it" in caught.value.messages[0]
    builder.option_delete(option=dunno)
    assert resolved.options.count() == 3


def test_option_rules_apply_to_one_option() -> None:
    questionnaire = ksindeks_questionnaire()
    fast = builder.question_create(section=s(questionnaire, "preferences"), spec=CHOICE)
    with pytest.raises(DomainError) as caught:
        builder.option_create(question=fast, spec={"value": "yes", "label": ""})
    errors = errors_of(caught)
    assert "its own code" in errors["value"][0]
    assert "needs a label" in errors["label"][0]
    assert "needs points" in errors["points"][0]
    with pytest.raises(DomainError) as caught:
        builder.option_update(option=fast.options.get(value="no"), spec={"points": "1"})
    assert "0-point option" in caught.value.messages[0]
    with pytest.raises(DomainError) as caught:
        builder.option_delete(option=fast.options.get(value="no"))
    assert "at least two options" in caught.value.messages[0]
    with pytest.raises(DomainError):
        builder.option_create(question=q(questionnaire, "nps"), spec={"value": "x", "label": "X"})
    assert fast.options.count() == 2


def test_every_write_shows_at_once_to_respondents() -> None:
    questionnaire = ksindeks_questionnaire()
    assert questionnaire_structure(questionnaire=questionnaire).questions["nps"]
    builder.question_update(question=q(questionnaire, "nps"), spec={"text_en": "Recommend us?"})
    questionnaire.refresh_from_db()
    structure = questionnaire_structure(questionnaire=questionnaire)
    assert structure.questions["nps"].question.display_text == "Recommend us?"
    builder.question_move(question=q(questionnaire, "nps"), position=0)
    questionnaire.refresh_from_db()
    structure = questionnaire_structure(questionnaire=questionnaire)
    assert structure.sections[2].questions[0].key == "nps"


def locked_questionnaire() -> Questionnaire:
    wave = WaveFactory()
    Response.objects.create(wave=wave, source=ResponseSource.PANEL)
    return wave.questionnaire


WRITES: dict[str, Callable[[Questionnaire], Any]] = {
    "questionnaire_update": lambda qn: builder.questionnaire_update(
        questionnaire=qn, spec={"title": "X"}
    ),
    "section_create": lambda qn: builder.section_create(
        questionnaire=qn, spec={"key": "x", "title": "X"}
    ),
    "section_update": lambda qn: builder.section_update(
        section=s(qn, "contact"), spec={"title": "X"}
    ),
    "section_delete": lambda qn: builder.section_delete(section=s(qn, "preferences")),
    "section_move": lambda qn: builder.section_move(section=s(qn, "preferences"), position=1),
    "question_create": lambda qn: builder.question_create(section=s(qn, "contact"), spec=CHOICE),
    "question_update": lambda qn: builder.question_update(
        question=q(qn, "nps"), spec={"text": "X"}
    ),
    "question_delete": lambda qn: builder.question_delete(question=q(qn, "comment")),
    "question_move": lambda qn: builder.question_move(question=q(qn, "nps"), position=0),
    "option_create": lambda qn: builder.option_create(
        question=q(qn, "resolved"), spec={"value": "x", "label": "X"}
    ),
    "option_update": lambda qn: builder.option_update(
        option=q(qn, "resolved").options.get(value="yes"), spec={"label": "X"}
    ),
    "option_delete": lambda qn: builder.option_delete(
        option=q(qn, "resolved").options.get(value="yes")
    ),
    "option_move": lambda qn: builder.option_move(
        option=q(qn, "resolved").options.get(value="yes"), position=2
    ),
}


@pytest.mark.parametrize("write", sorted(WRITES))
def test_a_version_with_responses_is_locked(write: str) -> None:
    questionnaire = locked_questionnaire()
    updated_at = questionnaire.updated_at
    with pytest.raises(ConflictError) as caught:
        WRITES[write](questionnaire)
    assert caught.value.messages == ["This version has responses; make a new version to edit it."]
    questionnaire.refresh_from_db()
    assert questionnaire.updated_at == updated_at
    assert Question.objects.filter(questionnaire=questionnaire).count() == 11
    assert list(questionnaire.sections.values_list("key", flat=True)) == [
        "screening",
        "contact",
        "experience",
        "preferences",
    ]


def test_a_new_version_is_a_deep_copy_that_can_be_edited() -> None:
    original = locked_questionnaire()
    builder_copy = builder.questionnaire_new_version(questionnaire=original)
    assert (builder_copy.slug, builder_copy.version, builder_copy.previous_version) == (
        original.slug,
        2,
        original,
    )

    def shape(questionnaire: Questionnaire) -> list[Any]:
        return [
            (
                question.section.key,
                question.section.position,
                question.key,
                question.position,
                question.type,
                question.role,
                question.relevant,
                question.scale_min,
                question.scale_max_label_en,
                list(question.options.values_list("value", "label_en", "points", "position")),
            )
            for question in Question.objects.filter(questionnaire=questionnaire).select_related(
                "section"
            )
        ]

    assert shape(builder_copy) == shape(original)
    copied = q(builder_copy, "must_contact_again")
    assert copied.relevant == {"q": "resolved", "in": ["partly", "no"]}
    assert copied.section.questionnaire_id == builder_copy.pk
    assert q(builder_copy, "resolved").pk != q(original, "resolved").pk

    builder.question_update(question=q(builder_copy, "resolved"), spec={"key": "solved"})
    assert q(builder_copy, "must_contact_again").relevant["q"] == "solved"
    assert q(original, "must_contact_again").relevant["q"] == "resolved"
    third = builder.questionnaire_new_version(questionnaire=original)
    assert third.version == 3
