"""Seeding for the benchmarks, in bulk: a 20-question wave with one invitation per respondent
(tokens written to a file, one a line, each meant to be used once), or a wave of panelists to
mail. Only ever run against a benchmark database (its name must contain "bench").

    python -m bench.seed respond --count 50000 --tokens /tmp/tokens.txt
    python -m bench.seed mail --count 30000
"""

import argparse
import copy
import json
import os
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import django

ROOT = Path(__file__).resolve().parent.parent

# KSIndeks (11 questions, 4 pages) plus a page of 9 ratings: 20 questions, 5 pages, all answered
# by the benchmark's respondents (``resolved = partly`` shows ``must_contact_again``).
EXTRA_RATINGS = [
    ("reach", "Det var lett å komme i kontakt.", "It was easy to get in touch."),
    ("understood", "De forsto hva saken gjaldt.", "They understood what it was about."),
    ("competent", "De kunne det de snakket om.", "They knew what they were talking about."),
    ("friendly", "De var vennlige og imøtekommende.", "They were friendly and helpful."),
    ("clear", "Svaret var klart og forståelig.", "The answer was clear."),
    ("in_time", "Saken ble behandlet raskt nok.", "The matter was handled quickly enough."),
    ("informed", "Jeg ble holdt orientert underveis.", "I was kept informed."),
    ("effort", "Det krevde lite innsats fra meg.", "It took little effort on my part."),
    ("solution", "Løsningen jeg fikk var god.", "The solution I got was good."),
]
BENCH_SPEC: dict[str, Any] = {
    "slug": "bench-20",
    "kind": "survey",
    "title": "Benchmark: 20 spørsmål",
    "title_en": "Benchmark: 20 questions",
    "sections": [],  # filled below
}

# What every benchmark respondent answers, per page, as the form posts it (the API takes the
# same values in one object). ``company`` is filled in with a real slug when seeding.
PAGES: list[dict[str, str]] = [
    {"contacted_cs": "yes"},
    {"company": "", "channel": "phone", "contacted_before": "no"},
    {
        "satisfaction": "5",
        "resolved": "partly",
        "must_contact_again": "no",
        "wait_minutes": "4",
        "nps": "8",
    },
    {"preferred_channel": "chat", "comment": "Hyggelig og effektiv betjening."},
    {key: str(3 + n % 4) for n, (key, _nb, _en) in enumerate(EXTRA_RATINGS)},
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("kind", choices=["respond", "mail"])
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--tokens", type=Path, help="respond: where to write the tokens")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    django.setup()
    started = time.perf_counter()
    if args.kind == "respond":
        wave_id = seed_respondents(count=args.count, tokens_path=args.tokens)
    else:
        wave_id = seed_mailing(count=args.count)
    print(f"wave {wave_id}: {args.count} invitations in {time.perf_counter() - started:.1f} s")
    return 0


def seed_respondents(*, count: int, tokens_path: Path) -> int:
    """A fresh open wave of the 20-question questionnaire with ``count`` invitations; writes the
    tokens and the answers file beside them. Returns the wave's id."""
    from surveys.models import Company
    from surveys.services.responding import token_for

    wave, panelist_ids = _fresh_wave(kind="respond", count=count, spec=bench_spec())
    tokens_path.write_text(
        "".join(f"{token_for(wave_id=wave.pk, panelist_id=pk)}\n" for pk in panelist_ids)
    )
    company = Company.objects.filter(is_active=True).order_by("name").values_list("slug", flat=True)
    pages = copy.deepcopy(PAGES)
    pages[1]["company"] = company[0]
    answers = {"wave": wave.pk, "pages": pages, "api": answers_for_api(pages)}
    answers_path(tokens_path).write_text(json.dumps(answers))
    return wave.pk


def answers_path(tokens_path: Path) -> Path:
    return tokens_path.with_suffix(".answers.json")


def seed_mailing(*, count: int) -> int:
    """A fresh open wave with ``count`` pending invitations, one panelist each."""
    wave, _ids = _fresh_wave(kind="mail", count=count, spec=bench_spec())
    return wave.pk


def bench_spec() -> dict[str, Any]:
    from surveys.specs import KSINDEKS

    spec = copy.deepcopy(BENCH_SPEC)
    spec["sections"] = [
        *copy.deepcopy(KSINDEKS["sections"]),
        {
            "key": "service",
            "title": "Om betjeningen",
            "title_en": "About the service",
            "questions": [
                {
                    "key": key,
                    "type": "rating",
                    "scale": [1, 6],
                    "text": text,
                    "text_en": text_en,
                    "scored": True,
                }
                for key, text, text_en in EXTRA_RATINGS
            ],
        },
    ]
    assert sum(len(s["questions"]) for s in spec["sections"]) == 20
    return spec


def answers_for_api(pages: list[dict[str, str]]) -> dict[str, Any]:
    """Every page's answers as one object, typed as a JSON client sends them."""
    return {
        key: int(value) if value.isdigit() else value
        for page in pages
        for key, value in page.items()
    }


def _fresh_wave(*, kind: str, count: int, spec: dict[str, Any]) -> tuple[Any, list[int]]:
    from django.db import connection, transaction

    from surveys.models import Company, Panelist, Questionnaire, Study, StudyKind, Wave, WaveStatus
    from surveys.services.invitations import invitations_create
    from surveys.services.questionnaires import questionnaire_create

    name = connection.settings_dict["NAME"]
    if "bench" not in str(name):
        raise SystemExit(f"refusing to seed {name!r}: not a benchmark database")
    _empty_previous_runs()
    if not Company.objects.filter(is_active=True).exists():
        from surveys.demo import seed as seed_catalog

        seed_catalog(stdout_lines=[])
    with transaction.atomic():
        questionnaire = Questionnaire.objects.filter(slug=spec["slug"]).order_by(
            "-version"
        ).first() or questionnaire_create(spec=spec)
        existing = Panelist.objects.filter(email__endswith="@bench.invalid").count()
        Panelist.objects.bulk_create(
            [
                Panelist(email=f"bench{i:06d}@bench.invalid", birth_year=1950 + i % 55)
                for i in range(existing, count)
            ],
            batch_size=5000,
        )
        panelists = list(
            Panelist.objects.filter(email__endswith="@bench.invalid").order_by("email")[:count]
        )
        study, _created = Study.objects.get_or_create(
            slug="bench", defaults={"name": "Benchmark", "kind": StudyKind.PANEL}
        )
        wave = Wave.objects.create(
            study=study,
            slug=f"{kind}-{time.time_ns()}",
            name=f"Benchmark {kind}",
            questionnaire=questionnaire,
            starts_on=date(2026, 1, 1),
            ends_on=date(2026, 12, 31),
            status=WaveStatus.OPEN,
        )
        invitations_create(wave=wave, panelists=panelists)
    return wave, [p.pk for p in panelists]


def _empty_previous_runs() -> None:
    """Earlier runs' responses, answers, invitations and jobs go, so every run starts alike."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE surveys_answer, surveys_response, surveys_invitation, kundeservice_job "
            "RESTART IDENTITY CASCADE"
        )


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
