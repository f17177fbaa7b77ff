"""Publishing a wave's results, and the weighting targets its aggregation uses."""

from django.db import transaction
from django.utils.translation import gettext as _

from kundeservice.caching import visibility_bump
from kundeservice.errors import DomainError
from surveys.models import StudyKind, Wave
from surveys.services.aggregation import RESULTS_NAMESPACE, WEIGHT_DIMENSIONS
from surveys.webhook_events import RESULTS_HIDDEN, RESULTS_PUBLISHED
from webhooks.services.events import webhook_event_emit


def wave_publish(*, wave: Wave, public: bool) -> Wave:
    """Show (or hide) a wave's current results on the public pages and the API.

    The public cache's version moves in the same transaction, so no cached page outlives the
    change, whatever the cache does meanwhile. A change (not a repeat) is a webhook event,
    ``wave.results_published`` or ``wave.results_hidden``, in the same transaction."""
    if public and not wave.result_sets.filter(is_current=True).exists():
        raise DomainError(
            _("Aggregate the wave before publishing: it has no results yet."), code="no_results"
        )
    with transaction.atomic():
        changed = Wave.objects.filter(pk=wave.pk).exclude(is_public=public).update(is_public=public)
        visibility_bump(RESULTS_NAMESPACE)
        wave.is_public = public
        if changed:
            webhook_event_emit(event=RESULTS_PUBLISHED if public else RESULTS_HIDDEN, subject=wave)
    return wave


def wave_weighting_save(
    *, wave: Wave, margins: dict[str, dict[str, float]], trim: tuple[float, float]
) -> Wave:
    """Store target shares per dimension (each adding up to 100) and the trimming range."""
    if wave.study.kind != StudyKind.PANEL:
        raise DomainError(_("Only panel survey waves are weighted."), code="not_panel")
    unknown = set(margins) - set(WEIGHT_DIMENSIONS)
    if unknown:
        raise DomainError(
            _("Unknown weighting dimension: %(d)s.") % {"d": ", ".join(sorted(unknown))},
            code="dimension",
        )
    for dimension, targets in margins.items():
        total = sum(targets.values())
        if any(v < 0 for v in targets.values()) or abs(total - 100) > 0.5:
            raise DomainError(
                _("%(d)s: the targets must be shares adding up to 100 %%.") % {"d": dimension},
                code="margins",
            )
    low, high = trim
    if not 0 < low <= 1 <= high or low >= high:
        raise DomainError(_("Trim weights to a range around 1, such as 0.3 to 3."), code="trim")
    wave.weight_margins = margins
    wave.weight_trim_min, wave.weight_trim_max = low, high
    wave.save(update_fields=["weight_margins", "weight_trim_min", "weight_trim_max"])
    return wave
