"""Writes to jury categories: nominees, criteria, members, conflicts of interest, scores and
locking the scoring."""

from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from awards.models import (
    AwardCategory,
    AwardDecision,
    CategoryKind,
    ConflictOfInterest,
    DecisionAction,
    JuryCriterion,
    JuryMember,
    JuryNominee,
    JuryScore,
)
from kundeservice.errors import ConflictError, DomainError


def nominee_add(
    *,
    category: AwardCategory,
    company: Any = None,
    name: str = "",
    justification: str = "",
    justification_en: str = "",
    document: Any = None,
) -> JuryNominee:
    """Nominate a company, or a free-text entrant, with a short justification."""
    _jury_category(category)
    if company is None and not name.strip():
        raise DomainError({"name": [_("Choose a company or name the entrant.")]}, code="entrant")
    nominee = JuryNominee(
        category=category,
        company=company,
        name="" if company is not None else name.strip(),
        justification=justification.strip(),
        justification_en=justification_en.strip(),
        position=category.nominees.count(),
    )
    if document is not None:
        nominee.document = document
    _clean_save(nominee)
    return nominee


def criterion_add(
    *,
    category: AwardCategory,
    name: str,
    weight: Decimal,
    scale_min: int = 1,
    scale_max: int = 10,
    name_en: str = "",
) -> JuryCriterion:
    """A weighted criterion members score each nominee on."""
    _jury_category(category)
    if scale_max <= scale_min:
        raise DomainError({"scale_max": [_("The scale must end above where it starts.")]})
    criterion = JuryCriterion(
        category=category,
        name=name.strip(),
        name_en=name_en.strip(),
        weight=weight,
        scale_min=scale_min,
        scale_max=scale_max,
        position=category.criteria.count(),
    )
    _clean_save(criterion)
    return criterion


def member_add(*, category: AwardCategory, username: str) -> JuryMember:
    """Seat a user on the jury."""
    _jury_category(category)
    user = get_user_model().objects.filter(username=username.strip(), is_active=True).first()
    if user is None:
        raise DomainError({"username": [_("There is no active user with this username.")]})
    try:
        with transaction.atomic():
            return JuryMember.objects.create(category=category, user=user)
    except IntegrityError:
        raise ConflictError(_("%(user)s is already on this jury.") % {"user": user}) from None


def conflict_declare(*, member: JuryMember, nominee: JuryNominee, reason: str = "") -> None:
    """A member must not see or score this nominee; any score they gave it is removed."""
    if nominee.category_id != member.category_id:
        raise DomainError(_("The nominee is in another category."), code="category")
    with transaction.atomic():
        ConflictOfInterest.objects.get_or_create(
            member=member, nominee=nominee, defaults={"reason": reason.strip()[:300]}
        )
        JuryScore.objects.filter(member=member, nominee=nominee).delete()


def scores_save(*, member: JuryMember, nominee: JuryNominee, scores: dict[int, Any]) -> None:
    """A member's scores of one nominee, criterion id → score: all or nothing."""
    category = member.category
    if category.scoring_locked:
        raise ConflictError(_("The scoring is locked."), code="locked")
    if nominee.category_id != category.pk:
        raise DomainError(_("The nominee is in another category."), code="category")
    if ConflictOfInterest.objects.filter(member=member, nominee=nominee).exists():
        raise ConflictError(
            _("You have declared a conflict of interest with this nominee."), code="conflict"
        )
    criteria = {c.pk: c for c in category.criteria.all()}
    errors: dict[str, list[str]] = {}
    cleaned: dict[int, int] = {}
    for criterion_id, raw in scores.items():
        criterion = criteria.get(int(criterion_id))
        if criterion is None:
            raise DomainError(_("Unknown criterion."), code="criterion")
        if raw in (None, ""):
            continue
        try:
            value = int(str(raw).strip())
        except ValueError:
            errors[f"c{criterion.pk}"] = [_("Give a whole number.")]
            continue
        if not criterion.scale_min <= value <= criterion.scale_max:
            errors[f"c{criterion.pk}"] = [
                _("Give a score from %(low)d to %(high)d.")
                % {"low": criterion.scale_min, "high": criterion.scale_max}
            ]
            continue
        cleaned[criterion.pk] = value
    if errors:
        raise DomainError(errors, code="scores")
    with transaction.atomic():
        for criterion_id, value in cleaned.items():
            JuryScore.objects.update_or_create(
                member=member,
                nominee=nominee,
                criterion_id=criterion_id,
                defaults={"score": value},
            )


def scoring_lock(*, category: AwardCategory, locked: bool, by: Any) -> AwardCategory:
    """Close the jury's scoring (before confirming the result), or reopen it."""
    _jury_category(category)
    if category.is_confirmed and not locked:
        raise ConflictError(
            _("The result is confirmed: the scoring cannot be reopened."), code="confirmed"
        )
    with transaction.atomic():
        AwardCategory.objects.filter(pk=category.pk).update(scoring_locked=locked)
        AwardDecision.objects.create(
            event_id=category.event_id,
            category=category,
            action=DecisionAction.SCORING_LOCKED if locked else DecisionAction.SCORING_UNLOCKED,
            actor=by if getattr(by, "is_authenticated", False) else None,
        )
    category.scoring_locked = locked
    return category


def _jury_category(category: AwardCategory) -> None:
    if category.kind != CategoryKind.JURY:
        raise DomainError(_("Only a jury category has a jury."), code="not_jury")


def _clean_save(obj: Any) -> None:
    try:
        obj.full_clean()
    except ValidationError as exc:
        raise DomainError(exc.message_dict, code="invalid") from None
    obj.save()
