"""Figure blocks of temperature updates: what editors may pick, and the frozen figures.

Why the figures are stored with the episode, and not left in a ``ResultSet`` pinned as frozen:
a result row is not self-contained. Its company, industry, section and question are pointers
that ``on_delete`` cascades through (deleting a company or an industry, or a question from a
questionnaire draft, deletes its rows in every set), and its labels (company and question names,
their English) are read at render time from rows that editors keep changing. Freezing a set would
mean guarding every such delete and rename path for ever, across apps. A snapshot taken when the
episode is published, holding every number the episode shows with its labels in both languages,
cannot be changed by any of that: later responses, a re-aggregation, a changed questionnaire, a
hidden wave or a deleted company leave it as published. ``TemperatureUpdate.result_set`` still
says which set the figures came from, for staff.

Figures are picked from a complete set through the episode's cutoff that was computed after that
day ended (``eligible_result_set``); the preview builds the same snapshot from the same set, so
it shows what publishing will freeze.
"""

from dataclasses import dataclass
from typing import Any

from django.db.models import TextChoices
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from surveys import result_selectors as results
from surveys.models import (
    Option,
    Question,
    QuestionRole,
    QuestionType,
    ResultRow,
    ResultSet,
    ResultSetStatus,
    Scope,
    TemperatureUpdate,
    Wave,
    WaveStatus,
)
from surveys.models.results import Metric
from surveys.selectors import indicators_for_wave
from surveys.services.aggregation import cutoff_moment

LANGUAGES = ("nb", "en")
SNAPSHOT_VERSION = 1


class BlockKind(TextChoices):
    OVERALL = "overall", gettext_lazy("Overall score")
    CHANNELS = "channels", gettext_lazy("Channel averages")
    AREAS = "areas", gettext_lazy("Performance areas")
    SHARE = "share", gettext_lazy("A question's share")
    INDICATOR = "indicator", gettext_lazy("A derived indicator")
    TOP = "top", gettext_lazy("Top 3 per industry")


#: Kinds that need a measure (the question's option, or the indicator).
MEASURED = {BlockKind.SHARE, BlockKind.INDICATOR}
SHARE_TYPES = {QuestionType.YES_NO, QuestionType.SINGLE_CHOICE}
NOT_SHARED_ROLES = {QuestionRole.COMPANY, QuestionRole.CHANNEL, QuestionRole.SCREENING}


@dataclass(frozen=True)
class BlockChoice:
    value: str  # "channels", "share:q:valued=yes", "indicator:ind:nei-til-begge"
    label: str


def block_choices(wave: Wave) -> list[tuple[str, list[BlockChoice]]]:
    """What an editor may insert for this wave, grouped for a select list, in the active
    language (three queries)."""
    fixed = [
        BlockChoice(kind.value, str(kind.label))
        for kind in (BlockKind.OVERALL, BlockKind.CHANNELS, BlockKind.AREAS, BlockKind.TOP)
    ]
    shares = [
        BlockChoice(f"{BlockKind.SHARE}:{measure}", label) for measure, label in _shares(wave)
    ]
    indicators = [
        BlockChoice(f"{BlockKind.INDICATOR}:{i.measure}", i.display_name)
        for i in indicators_for_wave(wave)
    ]
    groups = [(_("Results"), fixed)]
    if shares:
        groups.append((_("A question's share"), shares))
    if indicators:
        groups.append((_("Derived indicators"), indicators))
    return groups


def _shares(wave: Wave) -> list[tuple[str, str]]:
    questions = {
        q.pk: q
        for q in Question.objects.filter(
            questionnaire_id=wave.questionnaire_id, type__in=SHARE_TYPES
        ).exclude(role__in=NOT_SHARED_ROLES)
    }
    options = Option.objects.filter(question_id__in=list(questions)).order_by(
        "question__section__position", "question__position", "position", "id"
    )
    return [
        (
            f"q:{questions[o.question_id].key}={o.value}",
            f"{questions[o.question_id].display_text} – {o.display_label}",
        )
        for o in options
    ]


def block_from_choice(choice: str, *, number: int) -> dict[str, Any]:
    """A block as stored from a choice's value (checked against the wave by the service)."""
    kind, _sep, measure = choice.partition(":")
    return {"number": number, "kind": kind, "measure": measure}


def choice_of(block: dict[str, Any]) -> str:
    measure = block.get("measure") or ""
    return f"{block['kind']}:{measure}" if measure else str(block["kind"])


def eligible_result_set(*, wave_id: int, cutoff: Any) -> ResultSet | None:
    """The newest complete set of the wave through exactly ``cutoff`` that was started after
    that day ended (an earlier one may lack contacts of the cutoff day)."""
    return (
        ResultSet.objects.filter(
            wave_id=wave_id,
            cutoff=cutoff,
            status=ResultSetStatus.COMPLETE,
            started_at__gte=cutoff_moment(cutoff),
        )
        .select_related("wave__study")
        .order_by("-started_at", "-id")
        .first()
    )


def figures_freeze(*, episode: TemperatureUpdate, result_set: ResultSet) -> dict[str, Any]:
    """Every figure the episode shows, from ``result_set``, with labels in both languages: the
    snapshot publishing stores (and the preview shows)."""
    described = {}
    for language in LANGUAGES:
        with translation.override(language):
            described[language] = results.describe_set(result_set)
    published = described["nb"]
    wave = published.wave
    headline = _headline_row(published)
    return {
        "version": SNAPSHOT_VERSION,
        "result_set": result_set.pk,
        "cutoff": result_set.cutoff.isoformat(),
        "responses": result_set.responses,
        "provisional": not result_set.is_final or wave.status == WaveStatus.OPEN,
        "minimum_n": wave.minimum_n,
        "frozen_at": timezone.now().isoformat(),
        "headline": (
            _frozen_row(headline, {lang: d.headline_label for lang, d in described.items()})
            if headline is not None
            else None
        ),
        "blocks": [_frozen_block(block, described) for block in episode.blocks],
    }


def _headline_row(published: results.Published) -> ResultRow | None:
    if not published.headline:
        return None
    found = results.rows(
        published, scope=Scope.OVERALL, measure=published.headline, metric=Metric.MEAN
    )
    return found[0] if found else None


def _frozen_block(block: dict[str, Any], described: dict[str, results.Published]) -> dict[str, Any]:
    published = described["nb"]
    kind = block["kind"]
    measure = block.get("measure") or published.headline or ""
    if kind == BlockKind.AREAS:
        found = results.rows(
            published, scope=Scope.OVERALL, measure_prefix="area:", metric=Metric.MEAN
        )
        base_measure = "area:"
    elif kind == BlockKind.TOP:
        companies = results.rows(
            published, scope=Scope.COMPANY, measure=measure, metric=Metric.MEAN
        )
        found = sorted(
            (
                r
                for r in results.ranked(companies)
                if r.rank is not None and r.rank <= results.TOP_PER_INDUSTRY and not r.suppressed
            ),
            key=lambda r: (
                (r.industry.position, r.industry.name) if r.industry else (0, ""),
                r.rank or 0,
            ),
        )
        base_measure = measure
    elif kind == BlockKind.OVERALL:
        found = results.rows(published, scope=Scope.OVERALL, measure=measure, metric=Metric.MEAN)
        base_measure = measure
    else:
        scopes = (Scope.CHANNEL,) if kind == BlockKind.CHANNELS else (Scope.OVERALL, Scope.CHANNEL)
        metric = Metric.MEAN if kind == BlockKind.CHANNELS else None
        found = results.rows(published, scope=scopes, measure=measure, metric=metric)
        # The overall figure first, then the channels best first (suppressed ones last).
        found.sort(
            key=lambda r: (
                r.scope != Scope.OVERALL,
                r.suppressed,
                0 if r.suppressed else -(r.value or 0),
            )
        )
        base_measure = measure
    frozen_rows = []
    for row in found:
        labels = {}
        notes = {}
        for language, d in described.items():
            with translation.override(language):
                labels[language], notes[language] = _row_label(row, kind, d)
        frozen_rows.append(_frozen_row(row, labels, notes))
    titles, bases = {}, {}
    for language, d in described.items():
        with translation.override(language):
            titles[language] = _title(kind, measure, d)
            bases[language] = d.base(base_measure)
    return {
        "number": block["number"],
        "kind": kind,
        "measure": block.get("measure") or "",
        "metric": found[0].metric if found else Metric.MEAN,
        "title": titles,
        "base": bases,
        "rows": frozen_rows,
    }


def _title(kind: str, measure: str, published: results.Published) -> str:
    label = published.labels.get(measure, measure)
    if kind == BlockKind.OVERALL:
        return published.headline_label or _("Overall score")
    if kind == BlockKind.CHANNELS:
        return _("Channels compared: %(measure)s") % {"measure": published.headline_label}
    if kind == BlockKind.AREAS:
        return _("Performance areas")
    if kind == BlockKind.TOP:
        return _("Top 3 per industry: %(measure)s") % {"measure": published.headline_label}
    return label


def _row_label(row: ResultRow, kind: str, published: results.Published) -> tuple[str, str]:
    """What a row is called in its block, and a note beside it (a company's industry)."""
    if kind == BlockKind.TOP:
        return (
            row.company.name if row.company else "",
            row.industry.display_name if row.industry else "",
        )
    if row.scope == Scope.CHANNEL:
        return results.channel_label(row.channel), ""
    if kind == BlockKind.AREAS:
        return published.labels.get(row.measure, row.measure), ""
    if kind == BlockKind.OVERALL:
        return published.headline_label, ""
    return _("All channels"), ""


def _frozen_row(
    row: ResultRow, labels: dict[str, str], notes: dict[str, str] | None = None
) -> dict[str, Any]:
    return {
        "label": labels,
        "note": notes or dict.fromkeys(LANGUAGES, ""),
        "scope": row.scope,
        "measure": row.measure,
        "metric": row.metric,
        "channel": row.channel,
        "industry": row.industry.slug if row.industry else None,
        "company": row.company.slug if row.company else None,
        **results.public_value(row),
    }
