"""The webhook events of the award night, registered in the one registry
(``webhooks.registry``). A payload carries what the public award API shows once the winner is
revealed (``/api/v1/awards/events/<slug>/``), never more, and is written in the reveal's own
transaction."""

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy

from awards.models import AwardCategory, AwardEvent
from webhooks.registry import EventData, register_event, register_scope, scope_key

WINNER_REVEALED = "award.winner_revealed"
REVEAL_UNDONE = "award.reveal_undone"


def winner_data(category: AwardCategory) -> EventData:
    """The category and, once revealed, its winner as the public API shows them."""
    winner = category.placements.filter(is_winner=True).select_related("company").first()
    event = category.event
    return EventData(
        data={
            "event": event.slug,
            "category": {"id": category.pk, "name": category.name, "name_en": category.name_en},
            "revealed_at": category.revealed_at.isoformat() if category.revealed_at else None,
            "winner": None
            if winner is None or category.revealed_at is None
            else {
                "entrant": winner.entrant_name,
                "company": winner.company.slug if winner.company else None,
                "value": winner.value,
                "n": winner.n,
                "ci_low": winner.ci_low,
                "ci_high": winner.ci_high,
                "statistically_tied": winner.statistically_tied,
            },
            "links": {
                "event": settings.SITE_URL + reverse("award-event-api-detail", args=[event.slug]),
            },
        },
        scopes=frozenset({scope_key("award_event", event.pk)}),
    )


def _events() -> list[tuple[int, str]]:
    return [(e.pk, e.display_name) for e in AwardEvent.objects.order_by("-starts_at")]


register_event(
    name=WINNER_REVEALED,
    version=1,
    description=gettext_lazy("A category's winner was revealed on stage."),
    build=winner_data,
)
register_event(
    name=REVEAL_UNDONE,
    version=1,
    description=gettext_lazy("A mistaken reveal was taken back (within its minute)."),
    build=winner_data,
)
register_scope(kind="award_event", label=gettext_lazy("Award night"), choices=_events)
