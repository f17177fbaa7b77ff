"""Forms of the questionnaire builder. They only parse: the builder services check the rules, and
their messages come back keyed by the same field names (the spec's)."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from kundeservice.errors import DomainError
from surveys.models import Channel, Question, QuestionnaireKind, QuestionRole, QuestionType
from surveys.models.instruments import RATING_SCALES
from surveys.selectors import OutlineSection

KEEP = "__keep__"
SCALE_CHOICES = [("", "–"), *((f"{a}-{b}", f"{a}–{b}") for a, b in sorted(RATING_SCALES))]


@dataclass
class Candidate:
    """An earlier question a condition can look at, with the answers it can be given."""

    key: str
    text: str
    values: list[tuple[str, str]]


def condition_candidates(
    outline: list[OutlineSection], *, section: int, question: int | None = None
) -> list[Candidate]:
    """Questions before question ``question`` of section ``section`` (before the section itself
    when ``question`` is None; ``-1`` means after its last question) whose answers can be
    listed."""
    before: list[Question] = [q for item in outline[:section] for q in item.questions]
    if question is not None and section < len(outline):
        own = outline[section].questions
        before += own if question < 0 else own[:question]
    return [c for c in (_candidate(q) for q in before) if c.values]


def _candidate(question: Question) -> Candidate:
    if question.type in {
        QuestionType.SINGLE_CHOICE,
        QuestionType.MULTIPLE_CHOICE,
        QuestionType.YES_NO,
    }:
        values = [(o.value, o.display_label) for o in question.options.all()]
    elif question.type == QuestionType.RATING and question.scale_min is not None:
        values = [
            (str(v), str(v)) for v in range(question.scale_min, (question.scale_max or 0) + 1)
        ]
    elif question.type == QuestionType.NPS:
        values = [(str(v), str(v)) for v in range(11)]
    elif question.type == QuestionType.CHANNEL:
        values = [(c.value, str(c.label)) for c in Channel]
    else:
        values = []
    return Candidate(key=question.key, text=question.display_text, values=values)


class ConditionForm(forms.Form):
    """“Show only when <earlier question> is one of <answers>”."""

    relevant_q = forms.ChoiceField(label=_("Show only when"), required=False)
    relevant_in = forms.MultipleChoiceField(
        label=_("is one of"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(
        self,
        *args: Any,
        candidates: list[Candidate],
        condition: Any = None,
        condition_text: str = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.candidates = candidates
        self.condition = condition
        self.condition_text = ""
        choices: list[tuple[str, Any]] = [("", _("Always shown"))]
        simple = _simple(condition)
        if condition is not None and (simple is None or simple[0] not in self.keys):
            choices.append((KEEP, _("Keep the present condition")))
            self.fields["relevant_q"].initial = KEEP
            self.condition_text = condition_text
        elif simple is not None:
            self.fields["relevant_q"].initial = simple[0]
            self.fields["relevant_in"].initial = [f"{simple[0]}={v}" for v in simple[1]]
        choices += [(c.key, f"{c.key}: {c.text[:80]}") for c in candidates]
        cast(forms.ChoiceField, self.fields["relevant_q"]).choices = choices
        cast(forms.ChoiceField, self.fields["relevant_in"]).choices = [
            (f"{c.key}={value}", label) for c in candidates for value, label in c.values
        ]

    @property
    def keys(self) -> set[str]:
        return {c.key for c in self.candidates}

    def value_groups(self) -> list[dict[str, Any]]:
        """Per earlier question, its answers as checkboxes (id, value, label, ticked)."""
        if self.is_bound:
            chosen = set(cast(QueryDict, self.data).getlist(self.add_prefix("relevant_in")))
        else:
            chosen = set(self.fields["relevant_in"].initial or [])
        base = str(self.auto_id) % "relevant_in" if self.auto_id else "relevant_in"
        return [
            {
                "candidate": candidate,
                "id": f"{base}-{c_index}",
                "boxes": [
                    {
                        "id": f"{base}-{c_index}-{v_index}",
                        "value": f"{candidate.key}={value}",
                        "code": value,
                        "label": label,
                        "checked": f"{candidate.key}={value}" in chosen,
                    }
                    for v_index, (value, label) in enumerate(candidate.values)
                ],
            }
            for c_index, candidate in enumerate(self.candidates)
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        key = data.get("relevant_q") or ""
        if key == KEEP:
            data["relevant"] = self.condition
        elif not key:
            data["relevant"] = None
        else:
            values = [
                v.split("=", 1)[1] for v in data.get("relevant_in", []) if v.startswith(f"{key}=")
            ]
            if not values:
                self.add_error("relevant_in", _("Tick at least one answer."))
            data["relevant"] = {"q": key, "in": values}
        return data


class QuestionnaireNewForm(forms.Form):
    slug = forms.CharField(
        label=_("Key"),
        max_length=80,
        help_text=_("Letters, digits, - and _. Every version of the questionnaire shares it."),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=QuestionnaireKind.choices)
    title = forms.CharField(label=_("Title (Norwegian)"), max_length=200)
    title_en = forms.CharField(label=_("Title (English)"), max_length=200, required=False)


class QuestionnaireForm(forms.Form):
    title = forms.CharField(label=_("Title (Norwegian)"), max_length=200)
    title_en = forms.CharField(label=_("Title (English)"), max_length=200, required=False)
    intro = forms.CharField(
        label=_("Introduction (Norwegian)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    intro_en = forms.CharField(
        label=_("Introduction (English)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=QuestionnaireKind.choices)


class SectionForm(ConditionForm):
    key = forms.CharField(label=_("Key"), max_length=60, help_text=_("Letters, digits, - and _."))
    title = forms.CharField(label=_("Title (Norwegian)"), max_length=200)
    title_en = forms.CharField(label=_("Title (English)"), max_length=200, required=False)
    description = forms.CharField(
        label=_("Description (Norwegian)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    description_en = forms.CharField(
        label=_("Description (English)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    weight = forms.DecimalField(
        label=_("Weight"),
        initial=Decimal(1),
        max_digits=8,
        decimal_places=3,
        help_text=_("How much this performance area counts in an evaluation form's total."),
    )

    def spec(self) -> dict[str, Any]:
        data = self.cleaned_data
        fields = ("key", "title", "title_en", "description", "description_en", "weight")
        return {**{f: data[f] for f in fields}, "relevant": data["relevant"]}


class QuestionForm(ConditionForm):
    key = forms.CharField(
        label=_("Variable name"),
        max_length=60,
        help_text=_("Starts with a letter; letters, digits and _. Used in exports."),
    )
    type = forms.ChoiceField(label=_("Type"), choices=QuestionType.choices)
    role = forms.ChoiceField(
        label=_("Role"),
        choices=QuestionRole.choices,
        required=False,
        help_text=_("What the question measures, so results know how to use it."),
    )
    text = forms.CharField(
        label=_("Question (Norwegian)"), widget=forms.Textarea(attrs={"rows": 2})
    )
    text_en = forms.CharField(
        label=_("Question (English)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    help = forms.CharField(
        label=_("Help (Norwegian)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    help_en = forms.CharField(
        label=_("Help (English)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    required = forms.BooleanField(label=_("An answer is required"), required=False, initial=True)
    allow_na = forms.BooleanField(label=_("“Not applicable” allowed"), required=False)
    scored = forms.BooleanField(label=_("Counts towards the score"), required=False)
    weight = forms.DecimalField(
        label=_("Weight"), initial=Decimal(1), max_digits=8, decimal_places=3
    )
    scale = forms.ChoiceField(label=_("Scale"), choices=SCALE_CHOICES, required=False)
    scale_min_label = forms.CharField(
        label=_("Label at scale start (Norwegian)"), max_length=80, required=False
    )
    scale_min_label_en = forms.CharField(
        label=_("Label at scale start (English)"), max_length=80, required=False
    )
    scale_max_label = forms.CharField(
        label=_("Label at scale end (Norwegian)"), max_length=80, required=False
    )
    scale_max_label_en = forms.CharField(
        label=_("Label at scale end (English)"), max_length=80, required=False
    )

    def spec(self) -> dict[str, Any]:
        data = self.cleaned_data
        fields = ("key", "type", "role", "text", "text_en", "help", "help_en")
        spec = {f: data[f] for f in fields}
        spec.update(
            required=data["required"],
            allow_na=data["allow_na"],
            scored=data["scored"],
            weight=data["weight"],
            relevant=data["relevant"],
            scale_labels={
                "min": data["scale_min_label"],
                "min_en": data["scale_min_label_en"],
                "max": data["scale_max_label"],
                "max_en": data["scale_max_label_en"],
            },
        )
        if data["scale"]:
            spec["scale"] = [int(v) for v in data["scale"].split("-")]
        elif data["type"] == QuestionType.RATING:
            spec["scale"] = None
        return spec


def question_initial(question: Question) -> dict[str, Any]:
    scale = f"{question.scale_min}-{question.scale_max}" if question.scale_min is not None else ""
    return {
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
        "scale": scale,
        "scale_min_label": question.scale_min_label,
        "scale_min_label_en": question.scale_min_label_en,
        "scale_max_label": question.scale_max_label,
        "scale_max_label_en": question.scale_max_label_en,
    }


class OptionForm(forms.Form):
    value = forms.CharField(label=_("Code"), max_length=60, required=False)
    label = forms.CharField(label=_("Label (Norwegian)"), max_length=300, required=False)
    label_en = forms.CharField(label=_("Label (English)"), max_length=300, required=False)
    points = forms.DecimalField(
        label=_("Points"),
        required=False,
        max_digits=8,
        decimal_places=3,
        help_text=_("For a scored question; observers never see them."),
    )

    def spec(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class BaseOptionRows(forms.BaseFormSet):
    """Options typed in with a new choice question; empty rows are skipped."""

    def filled(self) -> list[tuple[int, dict[str, Any]]]:
        return [
            (index, form.spec())
            for index, form in enumerate(self.forms)
            if form.has_changed() and form.is_valid()
        ]


OptionRows = cast(
    type[BaseOptionRows],
    forms.formset_factory(OptionForm, formset=BaseOptionRows, extra=4, max_num=20),
)


def add_errors(form: forms.Form, error: DomainError, rows: Any = None, filled: Any = None) -> None:
    """Put a builder service's messages beside their fields: ``options.<i>.<field>`` goes to
    row ``filled[i]`` of ``rows``; anything without a field of its own goes to the top."""
    for field, messages in _by_field(error).items():
        parts = field.split(".")
        if rows is not None and filled is not None and len(parts) == 3 and parts[0] == "options":
            index = int(parts[1])
            if index < len(filled):
                row = rows.forms[filled[index][0]]
                for message in messages:
                    row.add_error(parts[2] if parts[2] in row.fields else None, message)
                continue
        target = field if field in form.fields else None
        if field == "relevant":
            target = "relevant_q" if "relevant_q" in form.fields else None
        for message in messages:
            form.add_error(target, message)


def _by_field(error: DomainError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {field: [str(m) for m in messages] for field, messages in error.message_dict.items()}
    return {NON_FIELD_ERRORS: list(error.messages)}


def _simple(condition: Any) -> tuple[str, list[str]] | None:
    if (
        isinstance(condition, dict)
        and set(condition) == {"q", "in"}
        and isinstance(condition["q"], str)
        and isinstance(condition["in"], list)
    ):
        return condition["q"], [str(v) for v in condition["in"]]
    return None
