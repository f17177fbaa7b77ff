"""Industry groups: industries whose results are published together, and which waves use them."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from kundeservice.errors import ConflictError, DomainError
from surveys.models import Industry, IndustryGroup, ResultRow, Wave


def industry_group_save(
    *,
    group: IndustryGroup | None = None,
    slug: str,
    name: str,
    name_en: str = "",
    industries: Iterable[Industry],
    position: int = 0,
) -> IndustryGroup:
    """Create a group, or change one: its names, slug and member industries (two at least:
    a group of one industry is that industry)."""
    members = list(industries)
    if len({i.pk for i in members}) < 2:
        raise DomainError(
            {"industries": [_("A group needs at least two industries.")]}, code="too_few"
        )
    group = group or IndustryGroup()
    group.slug, group.name, group.name_en, group.position = (
        slug.strip(),
        name.strip(),
        name_en.strip(),
        position,
    )
    try:
        group.full_clean(exclude=["industries"])
    except ValidationError as exc:
        raise DomainError(exc.message_dict, code="invalid") from None
    try:
        with transaction.atomic():
            group.save()
            group.industries.set(members)
    except IntegrityError:
        raise ConflictError(
            _("An industry group with this slug or name already exists."), code="duplicate"
        ) from None
    return group


def industry_group_delete(*, group: IndustryGroup) -> None:
    """Delete a group that no results name; published figures are never changed."""
    if ResultRow.objects.filter(industry_group=group).exists():
        raise ConflictError(
            _(
                "Results have been computed for %(group)s, so it cannot be deleted. Remove it "
                "from the waves instead: their next results leave it out."
            )
            % {"group": group.display_name},
            code="in_results",
        )
    group.delete()


def wave_industry_groups_set(*, wave: Wave, groups: Iterable[IndustryGroup]) -> Wave:
    """The industry groups a wave publishes results for, from its next aggregation."""
    wave.industry_groups.set(list(groups))
    return wave
