"""Writes to award categories: defining them, confirming their finalists and winner, and the
reveal on stage. Every decision is an ``AwardDecision``; every change the public could see moves
the awards visibility version in the same transaction."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from awards import selectors
from awards.models import (
    AwardCategory,
    AwardDecision,
    AwardEvent,
    CategoryKind,
    CategoryScope,
    DecisionAction,
    EventState,
    Placement,
    TieBreak,
)
from awards.selectors import AWARDS_NAMESPACE
from awards.webhook_events import REVEAL_UNDONE, WINNER_REVEALED
from kundeservice.caching import visibility_bump
from kundeservice.errors import ConflictError, DomainError
from surveys import result_selectors
from webhooks.services.events import webhook_event_emit

#: How long a mistaken reveal can be taken back; after that it is permanent.
UNDO_WINDOW = timedelta(minutes=1)


def category_save(
    *, category: AwardCategory | None = None, event: AwardEvent, **fields: Any
) -> AwardCategory:
    """Create or change a category. A rule category's measure must be one its wave publishes
    for companies; a category already revealed cannot change."""
    category = category or AwardCategory(event=event)
    if category.is_revealed:
        raise ConflictError(
            _("This category is revealed and can no longer change."), code="revealed"
        )
    allowed = {
        "name",
        "name_en",
        "description",
        "description_en",
        "kind",
        "wave",
        "metric",
        "measure",
        "scope",
        "industry",
        "channel",
        "minimum_n",
        "finalist_count",
        "tie_break",
        "tie_break_measure",
        "position",
    }
    unknown = set(fields) - allowed
    if unknown:
        raise DomainError(_("Unknown field(s): %(f)s") % {"f": ", ".join(sorted(unknown))})
    for key, value in fields.items():
        setattr(category, key, value)
    _check_rule(category)
    try:
        category.full_clean()
    except ValidationError as exc:
        raise DomainError(exc.message_dict, code="invalid") from None
    with transaction.atomic():
        category.save()
        visibility_bump(AWARDS_NAMESPACE)
    return category


def _check_rule(category: AwardCategory) -> None:
    errors: dict[str, list[str]] = {}
    if category.kind == CategoryKind.JURY:
        category.wave, category.measure, category.metric = None, "", ""
        return
    if category.wave_id is None:
        errors["wave"] = [_("Choose the published wave whose results decide the category.")]
    else:
        choices = {c.measure: c for c in result_selectors.award_measures(wave_id=category.wave_id)}
        choice = choices.get(category.measure)
        if choice is None:
            errors["measure"] = [_("The wave's results publish no such figure for companies.")]
        else:
            category.metric = choice.kind
        if (
            category.tie_break == TieBreak.OTHER_METRIC
            and category.tie_break_measure not in choices
        ):
            errors["tie_break_measure"] = [_("Choose another figure the wave publishes.")]
    if category.scope == CategoryScope.INDUSTRY and category.industry_id is None:
        errors["industry"] = [_("Choose the industry.")]
    if category.scope == CategoryScope.CHANNEL and not category.channel:
        errors["channel"] = [_("Choose the channel.")]
    if category.channel and category.channel not in dict(result_selectors.channel_choices()):
        errors["channel"] = [_("Unknown channel.")]
    if category.scope != CategoryScope.INDUSTRY:
        category.industry = None
    if category.scope != CategoryScope.CHANNEL:
        category.channel = ""
    if errors:
        raise DomainError(errors, code="rule")


@dataclass(frozen=True)
class Template:
    per_industry: bool = True
    per_channel: bool = True
    overall: bool = True


def categories_from_template(
    *, event: AwardEvent, wave_id: int, template: Template = Template()
) -> list[AwardCategory]:
    """The categories of a typical night for one wave, in one step: best per industry, best
    per channel, best overall, on the wave's headline figure (then edit them)."""
    headline = result_selectors.award_headline(wave_id=wave_id)
    if headline is None:
        raise DomainError(
            _("The wave has no published results to build categories from."), code="no_results"
        )
    made: list[dict[str, Any]] = []
    wave_name = headline.wave_name
    if template.overall:
        made.append(
            {
                "name": _("Best customer service overall (%(wave)s)") % {"wave": wave_name},
                "scope": CategoryScope.ALL,
            }
        )
    if template.per_industry:
        for industry in headline.industries:
            made.append(
                {
                    "name": _("Best in %(industry)s (%(wave)s)")
                    % {"industry": industry.name, "wave": wave_name},
                    "scope": CategoryScope.INDUSTRY,
                    "industry": industry,
                }
            )
    if template.per_channel:
        for code, label in headline.channels:
            made.append(
                {
                    "name": _("Best by %(channel)s (%(wave)s)")
                    % {"channel": label.lower(), "wave": wave_name},
                    "scope": CategoryScope.CHANNEL,
                    "channel": code,
                }
            )
    start = (
        event.categories.order_by("-position").values_list("position", flat=True).first() or 0
    ) + 1
    created = []
    with transaction.atomic():
        for offset, spec in enumerate(made):
            category = AwardCategory(
                event=event,
                kind=CategoryKind.RULE,
                wave_id=wave_id,
                measure=headline.measure,
                metric=headline.kind,
                position=start + offset,
                **spec,
            )
            category.full_clean()
            category.save()
            created.append(category)
        visibility_bump(AWARDS_NAMESPACE)
    return created


def category_confirm(
    *,
    category: AwardCategory,
    by: Any,
    winner_company_id: int | None = None,
    winner_nominee_id: int | None = None,
    reason: str = "",
) -> AwardCategory:
    """Confirm the finalists and the winner as the results (or the jury) decide them now, or
    with another finalist as winner when a reason is given. Replaces an earlier confirmation;
    a revealed category cannot be confirmed again."""
    with transaction.atomic():
        locked = (
            AwardCategory.objects.select_for_update().select_related("event").get(pk=category.pk)
        )
        if locked.is_revealed:
            raise ConflictError(
                _("The winner is revealed: the category can no longer change."), code="revealed"
            )
        if locked.kind == CategoryKind.RULE:
            entrants, suggested, computed_details, result_set = _rule_entrants(locked)
        else:
            entrants, suggested, computed_details, result_set = _jury_entrants(locked)
        chosen_key = (
            ("company", winner_company_id)
            if winner_company_id is not None
            else ("nominee", winner_nominee_id)
            if winner_nominee_id is not None
            else suggested
        )
        if chosen_key is None:
            raise DomainError(
                {"winner": [computed_details.get("tie_note") or _("Choose the winner.")]},
                code="needs_decision",
            )
        keys = [entrant["key"] for entrant in entrants]
        if chosen_key not in keys:
            raise DomainError(
                {"winner": [_("The winner must be one of the finalists.")]}, code="winner"
            )
        overridden = suggested is not None and chosen_key != suggested
        decided_by_hand = suggested is None or overridden
        reason = reason.strip()
        if decided_by_hand and not reason:
            raise DomainError(
                {"reason": [_("Say why this finalist wins: the rule does not decide it.")]},
                code="reason",
            )
        locked.placements.all().delete()
        for position, entrant in enumerate(entrants, start=1):
            Placement.objects.create(
                category=locked,
                position=position,
                company_id=entrant["key"][1] if entrant["key"][0] == "company" else None,
                nominee_id=entrant["key"][1] if entrant["key"][0] == "nominee" else None,
                value=entrant["value"],
                n=entrant["n"],
                ci_low=entrant.get("ci_low"),
                ci_high=entrant.get("ci_high"),
                statistically_tied=entrant.get("tied", False),
                is_winner=entrant["key"] == chosen_key,
            )
        now = timezone.now()
        locked.confirmed_at, locked.confirmed_by = now, _actor(by)
        locked.confirmed_result_set_id = result_set
        locked.override_reason = reason if decided_by_hand else ""
        locked.save(
            update_fields=[
                "confirmed_at",
                "confirmed_by",
                "confirmed_result_set",
                "override_reason",
                "updated_at",
            ]
        )
        _log(locked, DecisionAction.COMPUTED, by, details=computed_details)
        confirmed = {
            "finalists": [e["name"] for e in entrants],
            "winner": _name(entrants, chosen_key),
        }
        _log(locked, DecisionAction.CONFIRMED, by, details=confirmed)
        if decided_by_hand:
            _log(locked, DecisionAction.OVERRIDDEN, by, reason=reason, details=confirmed)
        visibility_bump(AWARDS_NAMESPACE)
    return locked


def _rule_entrants(
    category: AwardCategory,
) -> tuple[list[dict[str, Any]], Any, dict[str, Any], Any]:
    computed = selectors.computed_finalists(category)
    if computed.problem:
        raise DomainError(computed.problem, code="no_finalists")
    entrants = [
        {
            "key": ("company", c.company.pk),
            "name": c.company.name,
            "value": c.value,
            "n": c.n,
            "ci_low": c.ci_low,
            "ci_high": c.ci_high,
            "tied": c.statistically_tied,
        }
        for c in computed.finalists
    ]
    suggested = ("company", computed.winner.company.pk) if computed.winner else None
    details = {
        "result_set": computed.result_set.pk,
        "finalists": [
            {"company": e["name"], "value": e["value"], "n": e["n"], "tied": e["tied"]}
            for e in entrants
        ],
        "winner": computed.winner.company.name if computed.winner else None,
        "tie_note": computed.tie_note,
        "excluded": [{"company": x.company.name, "reason": x.reason} for x in computed.excluded],
    }
    return entrants, suggested, details, computed.result_set.pk


def _jury_entrants(
    category: AwardCategory,
) -> tuple[list[dict[str, Any]], Any, dict[str, Any], Any]:
    if not category.scoring_locked:
        raise ConflictError(
            _("Lock the jury's scoring before confirming: the scores may still change."),
            code="scoring_open",
        )
    results = [r for r in selectors.jury_results(category) if r.score is not None]
    if not results:
        raise DomainError(_("No nominee has been scored by the jury."), code="no_scores")
    finalists = results[: category.finalist_count]
    entrants = [
        {
            "key": ("nominee", r.nominee.pk),
            "name": r.nominee.display_name,
            "value": r.score,
            "n": r.scored_by,
        }
        for r in finalists
    ]
    top = finalists[0]
    tied = len(finalists) > 1 and abs(finalists[1].score - top.score) < 0.05  # type: ignore[operator]
    suggested = None if tied else ("nominee", top.nominee.pk)
    details = {
        "finalists": [
            {"nominee": e["name"], "score": e["value"], "scored_by": e["n"]} for e in entrants
        ],
        "tie_note": _("The jury's top scores are equal: choose.") if tied else "",
    }
    return entrants, suggested, details, None


def _name(entrants: list[dict[str, Any]], key: Any) -> str:
    return next(e["name"] for e in entrants if e["key"] == key)


def category_reveal(*, category: AwardCategory, by: Any) -> AwardCategory:
    """Make the category's winner public, now: one transaction that reveals and logs it."""
    with transaction.atomic():
        locked = (
            AwardCategory.objects.select_for_update().select_related("event").get(pk=category.pk)
        )
        if locked.is_revealed:
            return locked  # a second press, or a retry: revealed once
        if locked.event.state != EventState.LIVE:
            raise ConflictError(
                _("Set the award night live before revealing winners."), code="not_live"
            )
        winner = locked.placements.filter(is_winner=True).first() if locked.is_confirmed else None
        if winner is None:
            raise ConflictError(
                _("Confirm the finalists and the winner before revealing."), code="unconfirmed"
            )
        locked.revealed_at = timezone.now()
        locked.save(update_fields=["revealed_at", "updated_at"])
        _log(locked, DecisionAction.REVEALED, by, details={"winner": winner.entrant_name})
        visibility_bump(AWARDS_NAMESPACE)
        webhook_event_emit(event=WINNER_REVEALED, subject=locked)
    return locked


def category_unreveal(*, category: AwardCategory, by: Any, reason: str = "") -> AwardCategory:
    """Take back a mistaken reveal, within a minute of it; after that it is permanent."""
    with transaction.atomic():
        locked = (
            AwardCategory.objects.select_for_update().select_related("event").get(pk=category.pk)
        )
        if not locked.is_revealed:
            return locked
        assert locked.revealed_at is not None
        if timezone.now() - locked.revealed_at > UNDO_WINDOW:
            raise ConflictError(
                _("The reveal was more than a minute ago: it is permanent."), code="permanent"
            )
        locked.revealed_at = None
        locked.save(update_fields=["revealed_at", "updated_at"])
        _log(locked, DecisionAction.UNREVEALED, by, reason=reason.strip()[:500])
        visibility_bump(AWARDS_NAMESPACE)
        webhook_event_emit(event=REVEAL_UNDONE, subject=locked)
    return locked


def _log(
    category: AwardCategory,
    action: str,
    by: Any,
    *,
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> None:
    AwardDecision.objects.create(
        event_id=category.event_id,
        category=category,
        action=action,
        actor=_actor(by),
        reason=reason,
        details=details or {},
    )


def _actor(by: Any) -> Any:
    return by if getattr(by, "is_authenticated", False) else None
