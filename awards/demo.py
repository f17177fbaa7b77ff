"""The demo award night: Kundeserviceprisen for the demo year, with some 45 categories across
industries, channels and both instruments, finalists from the demo results (public), one jury
category with five members and a conflict of interest, and nothing revealed — so a newcomer can
run the reveal end to end.

The finalists need the demo results, which are aggregated when the seeding transaction commits
(at once without Redis, on a worker with it): the night is built after the commit, by a task that
waits for the results.
"""

import datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from awards.demo_tickets import seed_tickets
from awards.models import AwardCategory, AwardEvent, CategoryKind, CategoryScope, EventState
from kundeservice.demo import DEMO_PASSWORD
from kundeservice.errors import DomainError
from kundeservice.tasks import enqueue
from surveys import result_selectors

SLUG = "kundeserviceprisen-2026"
TARGET = 45
JURY = ("jury1", "jury2", "jury3", "jury4", "jury5")


def seed(*, stdout_lines: list[str]) -> None:
    """Jury members' logins now; the night once the demo results exist."""
    User = get_user_model()
    for username in JURY:
        user, _created = User.objects.get_or_create(
            username=username,
            defaults={"email": f"{username}@kundeservice.local", "first_name": username.title()},
        )
        user.set_password(DEMO_PASSWORD)
        user.save()
    stdout_lines.append(f"  jury1 … jury5 / {DEMO_PASSWORD}  (jury members of the demo award)")
    if AwardEvent.objects.filter(slug=SLUG).exists():
        stdout_lines.append("  award night: already there")
        return
    from awards.tasks import seed_demo_award_night

    transaction.on_commit(lambda: enqueue(seed_demo_award_night))
    stdout_lines.append(f"  award night: /prisutdeling/{SLUG}/ (built once the results are in)")
    stdout_lines.append(
        f"  tickets: /prisutdeling/{SLUG}/billetter/ (voucher PRESSE2026 for the press ticket)"
    )


def results_ready() -> bool:
    return all(
        result_selectors.award_headline(wave_id=wave.pk) is not None for wave in _demo_waves()
    ) and bool(_demo_waves())


def _demo_waves() -> list[Any]:
    return [
        w
        for w in result_selectors.public_waves()
        if w.study.slug in {"kundeserviceprisen", "ksindeks"}
    ]


def build_night() -> AwardEvent | None:
    """The demo night, from the published demo results; None if it exists already."""
    from awards.services.categories import Template, categories_from_template, category_confirm

    if AwardEvent.objects.filter(slug=SLUG).exists():
        return None
    manager = get_user_model().objects.filter(username="award_manager").first()
    now = timezone.now()
    gala = timezone.make_aware(datetime.datetime(now.year + 1, 4, 27, 18, 0))
    with transaction.atomic():
        event = AwardEvent.objects.create(
            slug=SLUG,
            name="Kundeserviceprisen 2026",
            name_en="The Customer Service Award 2026",
            starts_at=gala,
            venue="Oslo Konserthus",
            address="Munkedamsveien 14, 0115 Oslo",
            description=(
                "Kundeserviceprisen deles ut til virksomhetene med best kundeservice, målt med "
                "mystery shopping og kundeundersøkelsen.\n\n**Dresscode:** mørk dress."
            ),
            description_en=(
                "The award goes to the companies with the best customer service, measured by "
                "mystery shopping and the customer survey.\n\n**Dress code:** dark suit."
            ),
            finalists_public_at=now - datetime.timedelta(days=1),
            state=EventState.FINALISTS_PUBLIC,
        )
        for wave in _demo_waves():
            categories_from_template(event=event, wave_id=wave.pk, template=Template())
        _extra_categories(event)
        _jury_category(event)
        seed_tickets(event=event)
    for category in event.categories.filter(kind=CategoryKind.RULE):
        try:
            category_confirm(category=category, by=manager)
        except DomainError:
            continue  # a tie the rule leaves open: for the manager to decide in the console
    return event


def _extra_categories(event: AwardEvent) -> None:
    """Special prizes beyond the template, up to the night's usual count: performance areas,
    NPS, shares answering yes and the derived indicators overall, then the indicators within
    each industry."""
    specs: list[tuple[Any, Any, Any]] = []
    for wave in _demo_waves():
        measures = result_selectors.award_measures(wave_id=wave.pk)
        wanted = [m for m in measures if m.kind in {"area", "nps", "indicator"}] + [
            m for m in measures if m.kind == "question_share" and m.measure.endswith("=yes")
        ]
        specs += [(wave, choice, None) for choice in wanted]
        headline = result_selectors.award_headline(wave_id=wave.pk)
        industries = headline.industries if headline else []
        specs += [
            (wave, choice, industry)
            for choice in measures
            if choice.kind == "indicator"
            for industry in industries
        ]
    position = event.categories.count()
    for wave, choice, industry in specs[: max(0, TARGET - 1 - position)]:
        position += 1
        where = f" i {industry.name}" if industry else ""
        where_en = f" in {industry.name_en}" if industry else ""
        AwardCategory.objects.create(
            event=event,
            position=position,
            name=f"Beste på «{choice.label}»{where} ({wave.display_name})",
            name_en=f"Best on “{choice.label}”{where_en} ({wave.display_name})",
            kind=CategoryKind.RULE,
            wave=wave,
            metric=choice.kind,
            measure=choice.measure,
            scope=CategoryScope.INDUSTRY if industry else CategoryScope.ALL,
            industry=industry,
        )


def _jury_category(event: AwardEvent) -> AwardCategory:
    """A special prize a jury decides, scored in part: five members, one conflict."""
    from awards.services.jury import (
        conflict_declare,
        criterion_add,
        member_add,
        nominee_add,
        scores_save,
    )
    from surveys import selectors as survey_selectors

    category = AwardCategory.objects.create(
        event=event,
        position=event.categories.count() + 1,
        name="Årets kundeservice i sosiale medier",
        name_en="Social media customer service of the year",
        kind=CategoryKind.JURY,
    )
    criteria = [
        criterion_add(
            category=category, name="Kreativitet", name_en="Creativity", weight=Decimal(2)
        ),
        criterion_add(
            category=category, name="Responstid", name_en="Response time", weight=Decimal(1)
        ),
        criterion_add(category=category, name="Tone", name_en="Tone", weight=Decimal(1)),
    ]
    companies = list(survey_selectors.companies_list(channel="social")[:4])
    nominees = [
        nominee_add(
            category=category,
            company=company,
            justification="Svarer raskt og personlig i Messenger, også i helgene.",
            justification_en="Answers quickly and personally on Messenger, weekends too.",
        )
        for company in companies
    ]
    members = [member_add(category=category, username=name) for name in JURY]
    if nominees:
        conflict_declare(member=members[2], nominee=nominees[0], reason="Tidligere ansatt")
    for m, member in enumerate(members[:3]):
        for n, nominee in enumerate(nominees):
            if m == 2 and n == 0:
                continue
            scores_save(
                member=member,
                nominee=nominee,
                scores={c.pk: 5 + (m + n + i) % 5 for i, c in enumerate(criteria)},
            )
    return category
