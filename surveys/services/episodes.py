"""Temperature updates: writing an episode, its figure blocks, scheduling, publishing on time
(beat) and withdrawing.

An episode is a draft until an editor schedules it; beat's ``publish_due_episodes`` publishes it
once ``publish_at`` has come, freezing its figures (``surveys.episode_figures``) from a complete
set through its cutoff (started now, not current, if there is none yet: the episode then waits
for it). Publishing, withdrawing and editing a public episode move the ``episodes`` visibility
version in the same transaction (``kundeservice.caching``), so no cached page, feed or API
answer outlives the change, whatever the cache does meanwhile. Publishing creates one delivery
row per confirmed subscriber in that transaction too; ``surveys.services.subscriptions`` mails
each at most once.
"""

import io
from datetime import datetime
from typing import IO, Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from kundeservice.caching import visibility_bump
from kundeservice.errors import DomainError
from kundeservice.tasks import enqueue_on_commit
from surveys import episode_figures, episode_text
from surveys.models import (
    EpisodeDelivery,
    EpisodeStatus,
    ResultSet,
    Subscriber,
    SubscriberStatus,
    TemperatureUpdate,
    Wave,
)
from surveys.services.aggregation import aggregation_start, cutoff_moment
from surveys.webhook_events import EPISODE_PUBLISHED, EPISODE_WITHDRAWN
from webhooks.services.events import webhook_event_emit

#: The public cache's namespace for episode pages, feeds, the API and the sitemap.
EPISODES_NAMESPACE = "episodes"
#: Fields an editor may still correct once an episode is public (its figures stay frozen).
TEXT_FIELDS = (
    "title",
    "title_en",
    "lead",
    "lead_en",
    "body",
    "body_en",
    "webinar_url",
    "recording_url",
    "cover_alt",
)
EDITABLE_FIELDS = (*TEXT_FIELDS, "number", "cutoff")
COVER_MAX_BYTES = 5 * 1024 * 1024
COVER_MAX_PIXELS = 40_000_000
COVER_MAX_SIDE = 1600


def episode_save(
    *,
    wave: Wave,
    episode: TemperatureUpdate | None = None,
    fields: dict[str, Any],
    cover: IO[bytes] | None = None,
    remove_cover: bool = False,
    by: Any = None,
) -> TemperatureUpdate:
    """Create an episode of ``wave`` or change one. A public episode's text may be corrected;
    its number, cutoff and figures may not, and a withdrawn one stays as it was."""
    episode = episode or TemperatureUpdate(wave=wave)
    if episode.status == EpisodeStatus.WITHDRAWN:
        raise DomainError(_("A withdrawn episode cannot be changed."), code="withdrawn")
    changes = {k: v for k, v in fields.items() if k in EDITABLE_FIELDS}
    if episode.is_public:
        locked = [
            k for k in ("number", "cutoff") if k in changes and changes[k] != getattr(episode, k)
        ]
        if locked:
            raise DomainError(
                _("The episode is published: its number and cutoff can no longer change."),
                code="published",
            )
    for name, value in changes.items():
        if isinstance(value, str):
            # Browsers end a textarea's lines with CR LF; figure markers and the cursor's
            # position count in LF-ended lines.
            value = value.replace("\r\n", "\n").replace("\r", "\n").strip()
        setattr(episode, name, value)
    _check(episode)
    prepared = cover_image_prepare(cover) if cover is not None else None
    if prepared is None and remove_cover:
        episode.cover = ""
        episode.cover_alt = ""
    if (prepared or episode.cover) and not episode.cover_alt:
        raise DomainError(
            {"cover_alt": _("Describe the cover image for readers who cannot see it.")},
            code="cover_alt",
        )
    if episode.pk is None and getattr(by, "is_authenticated", False):
        episode.created_by = by
    try:
        with transaction.atomic():
            if prepared is not None:
                episode.cover.save("cover.jpg", prepared, save=False)
            episode.save()
            if episode.is_public:
                visibility_bump(EPISODES_NAMESPACE)
    except IntegrityError:
        raise DomainError(
            {"number": _("This wave already has an episode %(n)d.") % {"n": episode.number}},
            code="number",
        ) from None
    return episode


def _check(episode: TemperatureUpdate) -> None:
    wave = episode.wave
    errors: dict[str, str] = {}
    if not episode.number or episode.number < 1:
        errors["number"] = _("Give the episode a number from 1.")
    if episode.cutoff and not wave.starts_on <= episode.cutoff <= wave.ends_on:
        errors["cutoff"] = _("The cutoff must be within the wave (%(start)s to %(end)s).") % {
            "start": date_format(wave.starts_on, "SHORT_DATE_FORMAT"),
            "end": date_format(wave.ends_on, "SHORT_DATE_FORMAT"),
        }
    numbers = {b["number"] for b in episode.blocks}
    for name in ("body", "body_en"):
        unknown = sorted(set(episode_text.figure_numbers(getattr(episode, name))) - numbers)
        if unknown:
            errors[name] = _("The text shows figure %(n)s, which the episode does not have.") % {
                "n": ", ".join(str(n) for n in unknown)
            }
    if (
        episode.status == EpisodeStatus.SCHEDULED
        and episode.publish_at
        and episode.cutoff
        and episode.publish_at < cutoff_moment(episode.cutoff)
    ):
        errors["cutoff"] = _("The episode is scheduled before its cutoff day is over.")
    if errors:
        raise DomainError(errors, code="invalid")


def episode_block_add(
    *, episode: TemperatureUpdate, choice: str, at: int | None = None
) -> TemperatureUpdate:
    """Add a figure block picked from the wave's list, and place it in the body at character
    ``at`` (on a line of its own), or at the end."""
    _unfrozen(episode)
    offered = {c.value for _group, cs in episode_figures.block_choices(episode.wave) for c in cs}
    if choice not in offered:
        raise DomainError(_("Pick a figure from the list."), code="block")
    number = max((b["number"] for b in episode.blocks), default=0) + 1
    with transaction.atomic():
        episode.blocks = [*episode.blocks, episode_figures.block_from_choice(choice, number=number)]
        episode.body = _with_marker(episode.body, number, at)
        episode.save(update_fields=["blocks", "body", "updated_at"])
    return episode


def _with_marker(body: str, number: int, at: int | None) -> str:
    marker = f"[[figur {number}]]"
    if at is None or not 0 <= at <= len(body):
        return f"{body.rstrip()}\n\n{marker}\n" if body.strip() else f"{marker}\n"
    line_end = body.find("\n", at)
    split = len(body) if line_end == -1 else line_end
    before, after = body[:split].rstrip("\n"), body[split:].lstrip("\n")
    placed = f"{before}\n\n{marker}" if before else marker
    return f"{placed}\n\n{after}" if after else f"{placed}\n"


def episode_block_remove(*, episode: TemperatureUpdate, number: int) -> TemperatureUpdate:
    """Remove a figure block and the lines that placed it."""
    _unfrozen(episode)
    blocks = [b for b in episode.blocks if b["number"] != number]
    if len(blocks) == len(episode.blocks):
        raise DomainError(_("The episode has no figure %(n)d.") % {"n": number}, code="block")

    def unplace(text: str) -> str:
        return episode_text.FIGURE_MARKER.sub(
            lambda m: "" if int(m.group(1)) == number else m.group(0), text
        )

    episode.blocks = blocks
    episode.body, episode.body_en = unplace(episode.body), unplace(episode.body_en)
    episode.save(update_fields=["blocks", "body", "body_en", "updated_at"])
    return episode


def _unfrozen(episode: TemperatureUpdate) -> None:
    if episode.status not in {EpisodeStatus.DRAFT, EpisodeStatus.SCHEDULED}:
        raise DomainError(_("The episode is published: its figures are frozen."), code="published")


def episode_schedule(
    *, episode: TemperatureUpdate, publish_at: datetime, by: Any = None
) -> TemperatureUpdate:
    """Schedule (or reschedule) a draft for ``publish_at``; beat publishes it then. Starts the
    results through its cutoff if there are none yet, so they are ready in time."""
    if episode.status not in {EpisodeStatus.DRAFT, EpisodeStatus.SCHEDULED}:
        raise DomainError(_("Only a draft or a scheduled episode can be scheduled."), code="status")
    missing = [
        str(getattr(TemperatureUpdate._meta.get_field(name), "verbose_name", name))
        for name in ("title", "lead", "body", "cutoff")
        if not getattr(episode, name)
    ]
    if missing:
        raise DomainError(
            _("Fill in before scheduling: %(fields)s.") % {"fields": ", ".join(missing)},
            code="incomplete",
        )
    if publish_at < cutoff_moment(episode.cutoff):
        raise DomainError(
            {
                "publish_at": _(
                    "Publish after the cutoff day is over (from %(moment)s): its results are "
                    "not complete before."
                )
                % {
                    "moment": date_format(
                        timezone.localtime(cutoff_moment(episode.cutoff)), "SHORT_DATETIME_FORMAT"
                    )
                }
            },
            code="publish_at",
        )
    with transaction.atomic():
        TemperatureUpdate.objects.filter(pk=episode.pk).update(
            status=EpisodeStatus.SCHEDULED,
            publish_at=publish_at,
            publish_note="",
            updated_at=timezone.now(),
        )
        episode.status, episode.publish_at, episode.publish_note = (
            EpisodeStatus.SCHEDULED,
            publish_at,
            "",
        )
        if timezone.now() >= cutoff_moment(episode.cutoff):
            results_for_episode(episode=episode, by=by)
    return episode


def episode_unschedule(*, episode: TemperatureUpdate) -> TemperatureUpdate:
    """Take a scheduled episode back to draft (it has not been published: nothing to bump)."""
    updated = TemperatureUpdate.objects.filter(
        pk=episode.pk, status=EpisodeStatus.SCHEDULED
    ).update(
        status=EpisodeStatus.DRAFT, publish_at=None, publish_note="", updated_at=timezone.now()
    )
    if not updated:
        raise DomainError(_("The episode is not scheduled."), code="status")
    episode.status, episode.publish_at = EpisodeStatus.DRAFT, None
    return episode


def results_for_episode(*, episode: TemperatureUpdate, by: Any = None) -> ResultSet:
    """The set the episode's figures will come from: the eligible one, or a run started now
    through its cutoff that does not touch the results pages."""
    found = episode_figures.eligible_result_set(wave_id=episode.wave_id, cutoff=episode.cutoff)
    if found is not None:
        return found
    if timezone.now() < cutoff_moment(episode.cutoff):
        raise DomainError(
            _("The results through %(date)s can be computed once that day is over.")
            % {"date": date_format(episode.cutoff, "SHORT_DATE_FORMAT")},
            code="cutoff",
        )
    return aggregation_start(wave=episode.wave, cutoff=episode.cutoff, by=by, current=False)


def episode_publish(*, episode_id: int, now: datetime | None = None) -> TemperatureUpdate:
    """Publish a scheduled episode whose time has come: freeze its figures, make it public,
    and create its deliveries, all in one transaction. Safe to run twice (a published episode
    is left alone); while its results are still being computed it stays scheduled, with a note
    saying so, and the next run publishes it."""
    now = now or timezone.now()
    with transaction.atomic():
        episode = (
            TemperatureUpdate.objects.select_for_update(of=("self",))
            .select_related("wave__study")
            .get(pk=episode_id)
        )
        if (
            episode.status != EpisodeStatus.SCHEDULED
            or episode.publish_at is None
            or episode.publish_at > now
        ):
            return episode
        result_set = episode_figures.eligible_result_set(
            wave_id=episode.wave_id, cutoff=episode.cutoff
        )
        if result_set is None:
            results_for_episode(episode=episode)
            episode.publish_note = _("Waiting for the results through %(date)s.") % {
                "date": date_format(episode.cutoff, "SHORT_DATE_FORMAT")
            }
            episode.save(update_fields=["publish_note"])
            return episode
        episode.figures = episode_figures.figures_freeze(episode=episode, result_set=result_set)
        episode.result_set = result_set
        episode.status = EpisodeStatus.PUBLISHED
        episode.published_at = now
        episode.publish_note = ""
        episode.save()
        subscribers = Subscriber.objects.filter(status=SubscriberStatus.CONFIRMED).values_list(
            "pk", flat=True
        )
        EpisodeDelivery.objects.bulk_create(
            [EpisodeDelivery(episode=episode, subscriber_id=pk) for pk in subscribers],
            batch_size=1000,
            ignore_conflicts=True,
        )
        visibility_bump(EPISODES_NAMESPACE)
        webhook_event_emit(event=EPISODE_PUBLISHED, subject=episode)
        from surveys.tasks import send_episode

        enqueue_on_commit(send_episode, episode_id=episode.pk)
    return episode


def episodes_publish_due(*, now: datetime | None = None) -> list[int]:
    """Publish every scheduled episode whose time has come; the ids published."""
    now = now or timezone.now()
    due = TemperatureUpdate.objects.filter(
        status=EpisodeStatus.SCHEDULED, publish_at__lte=now
    ).values_list("pk", flat=True)
    published = []
    for pk in list(due):
        if episode_publish(episode_id=pk, now=now).status == EpisodeStatus.PUBLISHED:
            published.append(pk)
    return published


def episode_publish_now(*, episode: TemperatureUpdate, by: Any = None) -> TemperatureUpdate:
    """Schedule for this moment and publish at once (or as soon as the results are ready)."""
    now = timezone.now()
    episode_schedule(episode=episode, publish_at=now, by=by)
    return episode_publish(episode_id=episode.pk, now=now)


def episode_withdraw(*, episode: TemperatureUpdate, reason: str) -> TemperatureUpdate:
    """Take a published episode down: its page then says it was withdrawn, and why; it leaves
    the feeds, the sitemap and the API's list."""
    reason = reason.strip()
    if not reason:
        raise DomainError({"reason": _("Say why the episode is withdrawn.")}, code="reason")
    with transaction.atomic():
        updated = TemperatureUpdate.objects.filter(
            pk=episode.pk, status=EpisodeStatus.PUBLISHED
        ).update(
            status=EpisodeStatus.WITHDRAWN,
            withdrawn_at=timezone.now(),
            withdrawn_reason=reason,
            updated_at=timezone.now(),
        )
        if not updated:
            raise DomainError(_("Only a published episode can be withdrawn."), code="status")
        visibility_bump(EPISODES_NAMESPACE)
        episode.refresh_from_db()
        webhook_event_emit(event=EPISODE_WITHDRAWN, subject=episode)
    return episode


def cover_image_prepare(upload: IO[bytes]) -> ContentFile[bytes]:
    """A cover as the site stores it: checked to be a JPEG, PNG or WebP image of sensible size,
    scaled to at most 1600 px a side and saved anew as JPEG (which drops its metadata)."""
    size = getattr(upload, "size", None)
    if size is not None and size > COVER_MAX_BYTES:
        raise DomainError({"cover": _("The image is larger than 5 MB.")}, code="cover_size")
    data = upload.read(COVER_MAX_BYTES + 1)
    if len(data) > COVER_MAX_BYTES:
        raise DomainError({"cover": _("The image is larger than 5 MB.")}, code="cover_size")
    not_an_image = DomainError(
        {"cover": _("The file is not a JPEG, PNG or WebP image.")}, code="cover_type"
    )
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in {"JPEG", "PNG", "WEBP"}:
                raise not_an_image
            if probe.width * probe.height > COVER_MAX_PIXELS:
                raise DomainError(
                    {"cover": _("The image has too many pixels (at most 40 megapixels).")},
                    code="cover_pixels",
                )
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            picture = image.convert("RGB")
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError):
        raise not_an_image from None
    picture.thumbnail((COVER_MAX_SIDE, COVER_MAX_SIDE))
    out = io.BytesIO()
    picture.save(out, format="JPEG", quality=85, optimize=True)
    return ContentFile(out.getvalue(), name="cover.jpg")
