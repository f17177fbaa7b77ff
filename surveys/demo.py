"""Demo catalog: Norwegian industries and fictional but real-looking companies.

Every name is invented so that demo scores never describe a real company. Organisation numbers
are valid (mod-11) and derived deterministically from the company's position.
"""

import random
from typing import Any

from stdnum.no import orgnr

from surveys.models import Channel, Company, Industry
from surveys.slugs import slug_for

C = Channel
ALL_CONTACT = [C.PHONE, C.CHAT, C.EMAIL, C.SOCIAL]

INDUSTRIES: list[tuple[str, str, str, list[str], list[str]]] = [
    # slug, nb name, en name, typical channels, company names
    (
        "bank",
        "Bank",
        "Banking",
        [*ALL_CONTACT, C.CHATBOT, C.SELF_SERVICE],
        [
            "Fjordvik Sparebank",
            "Nordkyst Bank ASA",
            "Trollheim Sparebank",
            "Bankhuset Vidde",
            "Lågen Sparebank",
            "Polarbanken ASA",
            "Kystbanken Midt",
        ],
    ),
    (
        "forsikring",
        "Forsikring",
        "Insurance",
        [C.PHONE, C.CHAT, C.EMAIL, C.CONTACT_FORM],
        [
            "Tryggvik Forsikring",
            "Nordlys Skadeforsikring",
            "Fjellsikker ASA",
            "Havtrygg Forsikring",
            "Bygdeforsikring Innlandet",
            "Solid Forsikring Norge",
            "Vern Forsikring",
        ],
    ),
    (
        "telefoni",
        "Telefoni",
        "Mobile telephony",
        [*ALL_CONTACT, C.CHATBOT],
        [
            "Fjellnett Mobil",
            "Sjøsignal AS",
            "Nordmobil Norge",
            "Taletid AS",
            "Bølge Mobil",
            "Kyst Tele ASA",
            "Mastetopp Mobil",
        ],
    ),
    (
        "bredband",
        "Bredbånd",
        "Broadband",
        [C.PHONE, C.CHAT, C.EMAIL, C.SELF_SERVICE],
        [
            "Fiberfjord AS",
            "Lysnett Bredbånd",
            "Dalenett AS",
            "Hurtiglinja Fiber",
            "Vestfiber AS",
            "Nordfiber Hjem",
            "Bygdenett AS",
        ],
    ),
    (
        "kabel-tv",
        "Kabel-TV",
        "Cable TV",
        [C.PHONE, C.CHAT, C.EMAIL],
        [
            "Kanalhuset Kabel-TV",
            "Fjernsynsnettet AS",
            "Nordkabel TV",
            "Skjermen Kabel AS",
            "Signalbyen TV",
            "Antenneforeningen Vest",
            "Kabelkompaniet AS",
        ],
    ),
    (
        "strom",
        "Strøm",
        "Electricity",
        [C.PHONE, C.CHAT, C.EMAIL, C.SOCIAL],
        [
            "Fossekraft Strøm",
            "Vindkast Energi",
            "Elvekraft AS",
            "Nordlys Strømsalg",
            "Fjellstrøm Norge",
            "Kraftkilden AS",
            "Solgløtt Energi",
        ],
    ),
    (
        "reise",
        "Reise",
        "Travel",
        [C.PHONE, C.CHAT, C.EMAIL, C.SOCIAL, C.CHATBOT],
        [
            "Fjordlinja Reiser",
            "Nordfly AS",
            "Togtur Norge",
            "Reisebyrået Midnattsol",
            "Hurtigbåten Vest",
            "Fjellferie AS",
            "Ekspressbuss Nord",
        ],
    ),
    (
        "offentlig",
        "Offentlig sektor",
        "Public sector",
        [C.PHONE, C.CHAT, C.CONTACT_FORM, C.SELF_SERVICE],
        [
            "Trygdeetaten Demo",
            "Skatteservice Demo",
            "Lånekassen Demo",
            "Kommunetorget Demo",
            "Vegvesenet Demo",
            "Helsetjenesten Demo",
            "Tolletaten Demo",
        ],
    ),
    (
        "netthandel",
        "Netthandel",
        "E-commerce",
        [C.CHAT, C.EMAIL, C.SOCIAL, C.CONTACT_FORM],
        [
            "Handlekurven AS",
            "Pakkeposten Nett",
            "Butikken.no Demo",
            "Nordshop AS",
            "Kjøpfort AS",
            "Varehuset Online",
            "Klikk og Hent AS",
        ],
    ),
]


def demo_org_number(index: int) -> str:
    """The index-th valid organisation number in a fixed demo range (9xxxxxxxx)."""
    base = 912_300_00 + index * 7
    while True:
        stem = f"{base:08d}"
        for digit in "0123456789":
            if orgnr.is_valid(stem + digit):
                return stem + digit
        base += 1


def seed(*, stdout_lines: list[str]) -> None:
    """Create the demo industries and companies; safe to run again."""
    index = 0
    for position, (slug, name, name_en, channels, companies) in enumerate(INDUSTRIES):
        industry, _created = Industry.objects.update_or_create(
            slug=slug, defaults={"name": name, "name_en": name_en, "position": position}
        )
        for n, company_name in enumerate(companies):
            # Every third company lacks one of the industry's channels, as real ones do.
            offered = [str(c) for c in channels]
            if n % 3 == 2 and len(offered) > 2:
                offered.pop()
            Company.objects.update_or_create(
                org_number=demo_org_number(index),
                defaults={
                    "name": company_name,
                    "slug": slug_for(company_name),
                    "industry": industry,
                    "channels": offered,
                    "website": f"https://{slug_for(company_name)}.example.no",
                },
            )
            index += 1
    stdout_lines.append(f"  catalog: {len(INDUSTRIES)} industries, {index} companies")
    seed_ksindeks_wave(stdout_lines=stdout_lines)
    seed_open_poll(stdout_lines=stdout_lines)
    from surveys.demo_observation import seed_observation_wave

    seed_observation_wave(stdout_lines=stdout_lines)
    seed_results(stdout_lines=stdout_lines)
    from surveys.demo_episodes import seed_episodes

    seed_episodes(stdout_lines=stdout_lines)


#: Weighting targets for the demo panel: roughly Norway's adult population in 2024 (SSB).
DEMO_MARGINS = {
    "gender": {"female": 49.6, "male": 50.4},
    "age_group": {"18-29": 20.0, "30-44": 26.0, "45-59": 25.0, "60+": 29.0},
    "region": {
        "oslo": 12.5,
        "rogaland": 9.0,
        "more_og_romsdal": 4.9,
        "nordland": 4.4,
        "ostfold": 5.9,
        "akershus": 12.9,
        "buskerud": 5.5,
        "innlandet": 6.8,
        "vestfold": 4.7,
        "telemark": 3.1,
        "agder": 5.8,
        "vestland": 11.6,
        "trondelag": 8.5,
        "troms": 3.1,
        "finnmark": 1.3,
    },
}


#: Derived indicators the index's reports headline (questionnaire key → indicators).
DEMO_INDICATORS: dict[str, list[dict[str, Any]]] = {
    "ksindeks": [
        {
            "key": "lojale",
            "name": "Lojale kunder (6 på skalaen 1–6)",
            "name_en": "Loyal customers (6 on the 1–6 scale)",
            "condition": {"q": "satisfaction", "min": 6, "max": 6},
            "base": "answered",
        },
        {
            # Resolved, and the first contact about the matter.
            "key": "lost-ved-forste-kontakt",
            "name": "Løst ved første kontakt",
            "name_en": "First-contact resolution",
            "condition": {
                "all": [
                    {"q": "resolved", "in": ["yes"]},
                    {"q": "contacted_before", "in": ["no"]},
                ]
            },
            "base": "answered",
        },
    ],
    "kundeserviceprisen": [
        {
            "key": "nei-til-begge",
            "name": "Nei til både «verdsatt» og «ville handlet»",
            "name_en": "No to both «valued» and «would buy»",
            "condition": {"all": [{"q": "valued", "in": ["no"]}, {"q": "would_buy", "in": ["no"]}]},
            "base": "answered",
        },
    ],
}


def seed_groups_and_indicators(*, waves: list[Any]) -> None:
    """The demo's industry group (tele = telefoni + bredbånd + kabel-TV, as the reports pool
    them) on every demo wave, and the derived indicators the reports headline."""
    from surveys.models import Indicator, IndustryGroup

    tele, _created = IndustryGroup.objects.update_or_create(
        slug="tele", defaults={"name": "Tele, bredbånd og kabel-TV", "name_en": "Telecoms"}
    )
    tele.industries.set(Industry.objects.filter(slug__in=["telefoni", "bredband", "kabel-tv"]))
    for wave in waves:
        wave.industry_groups.add(tele)
    for questionnaire, indicators in DEMO_INDICATORS.items():
        for position, spec in enumerate(indicators):
            Indicator.objects.update_or_create(
                questionnaire_slug=questionnaire,
                key=spec["key"],
                wave=None,
                defaults={**{k: v for k, v in spec.items() if k != "key"}, "position": position},
            )


def seed_results(*, stdout_lines: list[str]) -> None:
    """Weight the panel wave, aggregate the demo waves and publish their results (the
    aggregation runs when the seeding transaction commits: at once without Redis, otherwise on
    the worker)."""
    from surveys.models import StudyKind, Wave
    from surveys.services.aggregation import aggregation_start

    waves = list(
        Wave.objects.filter(
            study__slug__in=["ksindeks", "kundeserviceprisen"], result_sets__isnull=True
        ).select_related("study")
    )
    seed_groups_and_indicators(waves=waves)
    for wave in waves:
        if wave.study.kind == StudyKind.PANEL:
            wave.weight_margins = DEMO_MARGINS
            wave.save(update_fields=["weight_margins"])
        aggregation_start(wave=wave)
        # Demo data: public at once, so `make run` shows the results pages.
        Wave.objects.filter(pk=wave.pk).update(is_public=True)
        stdout_lines.append(f"  results: {wave.name} aggregated and published")


def seed_ksindeks_wave(*, stdout_lines: list[str], completed: int = 5000, seed: int = 2026) -> None:
    """A KSIndeks-like panel wave: invitations, ~``completed`` submitted responses, some screened
    out and some never opened. Written in bulk; skipped when the wave already exists."""
    import copy
    from datetime import date, timedelta

    from django.db import transaction
    from django.utils import timezone

    from surveys.answers import score_0_100
    from surveys.models import (
        Answer,
        Gender,
        Invitation,
        InvitationStatus,
        Panelist,
        Region,
        Response,
        ResponseSource,
        ResponseStatus,
        Study,
        StudyKind,
        Wave,
        WaveStatus,
    )
    from surveys.selectors import questionnaire_structure
    from surveys.services.questionnaires import questionnaire_create
    from surveys.services.responding import age_group, token_for, token_hash
    from surveys.specs import KSINDEKS

    study, _created = Study.objects.get_or_create(
        slug="ksindeks",
        defaults={"name": "KSIndeks", "name_en": "Customer Service Index", "kind": StudyKind.PANEL},
    )
    if Wave.objects.filter(study=study, slug="2026").exists():
        stdout_lines.append("  KSIndeks 2026: already there")
        return
    rng = random.Random(seed)
    with transaction.atomic():
        questionnaire = questionnaire_create(spec=copy.deepcopy(KSINDEKS))
        wave = Wave.objects.create(
            study=study,
            slug="2026",
            name="KSIndeks 2026",
            name_en="Customer Service Index 2026",
            questionnaire=questionnaire,
            starts_on=date(2026, 9, 1),
            ends_on=date(2026, 12, 15),
            status=WaveStatus.OPEN,
            minimum_n=50,
        )
        invited = round(completed * 1.2)
        screened = round(completed * 0.08)
        regions = list(Region.values)
        panelists = Panelist.objects.bulk_create(
            [
                Panelist(
                    email=f"panelist{i:05d}@demo.kundeservice.no",
                    gender=rng.choice([Gender.FEMALE, Gender.MALE]),
                    birth_year=rng.randint(1945, 2006),
                    region=rng.choice(regions),
                )
                for i in range(invited)
            ],
            batch_size=2000,
        )
        if panelists[0].pk is None:  # a backend that does not return keys from bulk inserts
            panelists = list(
                Panelist.objects.filter(email__endswith="@demo.kundeservice.no").order_by("id")
            )
        now = timezone.now()
        statuses = (
            [InvitationStatus.COMPLETED] * completed
            + [InvitationStatus.SCREENED_OUT] * screened
            + [InvitationStatus.SENT] * (invited - completed - screened)
        )
        invitations = Invitation.objects.bulk_create(
            [
                Invitation(
                    wave=wave,
                    panelist=p,
                    status=status,
                    token_hash=token_hash(token_for(wave_id=wave.pk, panelist_id=p.pk)),
                    sent_at=now - timedelta(days=20),
                    expires_at=now + timedelta(days=10),
                    completed_at=None
                    if status == InvitationStatus.SENT
                    else now - timedelta(days=rng.randint(0, 19)),
                )
                for p, status in zip(panelists, statuses, strict=True)
            ],
            batch_size=2000,
        )
        if invitations[0].pk is None:
            invitations = list(Invitation.objects.filter(wave=wave).order_by("panelist_id"))
        structure = questionnaire_structure(questionnaire=questionnaire)
        companies = list(Company.objects.select_related("industry").order_by("org_number"))
        responses: list[Response] = []
        drafts: list[dict[str, object]] = []
        for invitation, panelist in zip(invitations, panelists, strict=True):
            if invitation.status == InvitationStatus.SENT:
                continue
            if invitation.status == InvitationStatus.SCREENED_OUT:
                responses.append(
                    Response(
                        wave=wave,
                        source=ResponseSource.PANEL,
                        invitation=invitation,
                        status=ResponseStatus.SCREENED_OUT,
                        submitted_at=invitation.completed_at,
                        draft={"contacted_cs": "no"},
                    )
                )
                drafts.append({})
                continue
            company = rng.choice(companies)
            draft = _demo_answers(rng, company)
            drafts.append(draft)
            responses.append(
                Response(
                    wave=wave,
                    source=ResponseSource.PANEL,
                    invitation=invitation,
                    status=ResponseStatus.SUBMITTED,
                    submitted_at=invitation.completed_at,
                    company=company,
                    channel=str(draft["channel"]),
                    draft=draft,
                    gender=panelist.gender,
                    region=panelist.region,
                    age_group=age_group(panelist.birth_year, on=wave.reference_date),
                )
            )
        responses = Response.objects.bulk_create(responses, batch_size=2000)
        if responses[0].pk is None:
            responses = list(Response.objects.filter(wave=wave).order_by("invitation_id"))
        answers: list[Answer] = []
        for response, draft in zip(responses, drafts, strict=True):
            for key, value in draft.items():
                view = structure.questions[key]
                row = Answer(
                    response=response,
                    question=view.question,
                    wave=wave,
                    section_id=view.question.section_id,
                    company_id=response.company_id,
                    channel=response.channel,
                )
                if isinstance(value, int | float):
                    row.value_number = float(value)
                else:
                    row.value_text = str(value)
                row.score = score_0_100(view.info, value)
                answers.append(row)
        Answer.objects.bulk_create(answers, batch_size=5000)
    stdout_lines.append(
        f"  KSIndeks 2026: {invited} invited, {completed} completed, {screened} screened out, "
        f"{len(answers)} answers"
    )


# Shares of last-contact channel (DOMAIN.md: phone 50–70 %), and a channel effect on satisfaction.
CHANNEL_MIX = [
    ("phone", 0.61),
    ("chat", 0.17),
    ("email", 0.12),
    ("social", 0.05),
    ("chatbot", 0.05),
]
CHANNEL_EFFECT = {"phone": 0.4, "chat": 0.1, "email": -0.5, "social": -0.2, "chatbot": -0.6}


def _demo_answers(rng: random.Random, company: Company) -> dict[str, object]:
    offered = [c for c, _share in CHANNEL_MIX if c in company.channels] or ["phone"]
    weights = [dict(CHANNEL_MIX)[c] for c in offered]
    channel = rng.choices(offered, weights=weights)[0]
    quality = (company.pk % 7) / 7 - 0.4  # each company has its own level
    satisfaction = max(1, min(6, round(rng.gauss(4.3 + quality + CHANNEL_EFFECT[channel], 1.2))))
    resolved = rng.choices(
        ["yes", "partly", "no"], weights=[satisfaction + 2, 2, 7 - satisfaction]
    )[0]
    answers: dict[str, object] = {
        "contacted_cs": "yes",
        "company": company.slug,
        "channel": channel,
        "contacted_before": rng.choice(["yes", "no", "no"]),
        "satisfaction": satisfaction,
        "resolved": resolved,
        "nps": max(0, min(10, round(rng.gauss(satisfaction * 1.6, 1.8)))),
        "preferred_channel": rng.choices(["chat", "phone", "email", "social"], [48, 46, 5, 1])[0],
    }
    if resolved != "yes":
        answers["must_contact_again"] = rng.choice(["yes", "yes", "no"])
    if rng.random() < 0.7:
        answers["wait_minutes"] = round(rng.expovariate(1 / 6), 1)
    return answers


# DOMAIN.md's quick poll: chat/chatbot 48 %, phone 46 %, e-mail 5 %, social media 1 %.
POLL_VOTES = {"chat": 96, "phone": 92, "email": 10, "social": 2}


def seed_open_poll(*, stdout_lines: list[str], seed: int = 2026) -> None:
    """An open poll at /p/foretrukket-kanal/, collecting now, its result shown after answering,
    with 200 earlier answers. Skipped when it already exists."""
    import copy
    from datetime import timedelta

    from django.db import transaction
    from django.utils import timezone

    from surveys.models import (
        Answer,
        Response,
        ResponseSource,
        ResponseStatus,
        Study,
        StudyKind,
        Wave,
        WaveStatus,
    )
    from surveys.services.polls import browser_key_hash
    from surveys.services.questionnaires import questionnaire_create
    from surveys.specs import CHANNEL_POLL

    slug = "foretrukket-kanal"
    if Wave.objects.filter(open_slug=slug).exists():
        stdout_lines.append(f"  open poll /p/{slug}/: already there")
        return
    rng = random.Random(seed)
    today = timezone.localdate()
    now = timezone.now()
    with transaction.atomic():
        study, _created = Study.objects.get_or_create(
            slug="avstemninger",
            defaults={"name": "Avstemninger", "name_en": "Polls", "kind": StudyKind.POLL},
        )
        questionnaire = questionnaire_create(spec=copy.deepcopy(CHANNEL_POLL))
        wave = Wave.objects.create(
            study=study,
            slug=slug,
            name="Hvilken kanal foretrekker du?",
            name_en="Which channel do you prefer?",
            questionnaire=questionnaire,
            starts_on=today - timedelta(days=14),
            ends_on=today + timedelta(days=365),
            status=WaveStatus.OPEN,
            minimum_n=1,
            open_slug=slug,
            show_results=True,
        )
        question = questionnaire.questions.get()
        votes = [value for value, count in POLL_VOTES.items() for _ in range(count)]
        rng.shuffle(votes)
        responses = Response.objects.bulk_create(
            [
                Response(
                    wave=wave,
                    source=ResponseSource.OPEN_LINK,
                    browser_key=browser_key_hash(wave_id=wave.pk, browser_key=f"demo-{i}"),
                    status=ResponseStatus.SUBMITTED,
                    submitted_at=now - timedelta(minutes=rng.randint(10, 14 * 24 * 60)),
                    draft={question.key: vote},
                )
                for i, vote in enumerate(votes)
            ]
        )
        if responses[0].pk is None:  # a backend that does not return keys from bulk inserts
            responses = list(Response.objects.filter(wave=wave).order_by("id"))
        Answer.objects.bulk_create(
            Answer(
                response=response,
                question=question,
                wave=wave,
                section_id=question.section_id,
                value_text=response.draft[question.key],
            )
            for response in responses
        )
    stdout_lines.append(f"  open poll /p/{slug}/: {len(votes)} answers")
