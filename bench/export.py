"""Export benchmark (issue 3): a wave of 50,000 responses × 20 answers on PostgreSQL, exported as
CSV, XLSX and SPSS, against PostgreSQL's own ``COPY … TO STDOUT`` of the same answers.

    make bench-export                                  # seed once, then 3 rounds of every kind
    make bench-export ARGS="--repeat 5"
    .venv/bin/python bench/export.py --responses 50000 --reseed

It uses its own database, ``kundeservice_bench_export`` (created when missing, migrated, seeded
once and reused while it holds the asked number of responses). Each measurement runs in a fresh
process, so its peak resident memory (``ru_maxrss``) is that export's alone:

  copy   ``COPY (<the export's answer query over the whole wave>) TO STDOUT`` into a file, with
         psycopg 3's copy: the database's own serialisation of the same answers, no Python rows
  csv    ``wave_export(format=csv)`` into a file: the whole export, structure to closed file
  xlsx   the same as an Excel workbook (write-only openpyxl) with its codebook sheets
  sav    the same as an SPSS file (pyreadstat), labels included

Rounds are interleaved (copy, csv, xlsx, sav, copy, …) so background load hits every kind
alike. The first table shows each kind's median and best wall time and the CPU seconds of the
process plus its PostgreSQL backend (read from /proc when the database is local), which other
load on the machine hardly changes. The targets table then puts the COPY baseline beside each
figure with the ratio (issue 21: CSV ≤ 2× COPY, XLSX ≤ 6× COPY, median wall time; every
export's peak RSS < 300 MB) and says met or missed; the exit status is 1 when one is missed.

The machine is shared: the load average is read before the first round and after each. A run
that starts with a 1-minute load above 1.5 is marked NOISY (its figures are printed but are not
the ones to record as met or missed; re-run on a quiet machine). ``make bench-export`` seeds
once (about two minutes) and then takes about a minute. Record what it prints in
bench/RESULTS.md with the command.
"""

import argparse
import json
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in {None, ""}:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    child_setup,
    load_average,
    prepared_database,
)
from bench.common import run_child as common_run_child

DATABASE = "kundeservice_bench_export"
KINDS = ["copy", "csv", "xlsx", "sav"]
#: Median wall time of a kind ÷ COPY's (issue 21).
TARGET_RATIOS = {"csv": 2.0, "xlsx": 6.0}
TARGET_PEAK_MB = 300
QUIET_LOAD = 1.5  # 1-minute load average above which a run is noisy
EXTENSIONS = {"copy": "tsv", "csv": "csv", "xlsx": "xlsx", "sav": "sav"}

# KSIndeks (11 questions) plus nine of the panel's usual items: 20 questions, every one answered.
# Two ratings allow N/A and a multiple-choice question becomes four 0/1 columns, so every coding
# path of the export is timed.
EXTRA_RATINGS = [
    ("reach", "Det var lett å komme i kontakt.", False),
    ("understood", "De forsto hva saken gjaldt.", False),
    ("competent", "De kunne det de snakket om.", False),
    ("friendly", "De var vennlige og imøtekommende.", False),
    ("clear", "Svaret var klart og forståelig.", False),
    ("in_time", "Saken ble behandlet raskt nok.", False),
    ("informed", "Jeg ble holdt orientert underveis.", True),
    ("effort", "Det krevde lite innsats fra meg.", True),
]
TOPICS = ["invoice", "fault", "order", "other"]
COMMENTS = [
    "Hyggelig og effektiv betjening.",
    'Bra, men "litt" treg – måtte vente.',
    "Fikk svar på e-post etter to dager; ok.",
    "Ingen kommentar",
]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--responses", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3, help="rounds of every kind")
    parser.add_argument("--reseed", action="store_true", help="seed again even if seeded")
    parser.add_argument("--kinds", nargs="*", default=KINDS, choices=KINDS)
    parser.add_argument(
        "--database",
        default=DATABASE,
        help="the benchmark's own database (its name must contain 'bench'); another name keeps "
        "a run apart from others sharing the server",
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child)

    env = prepared_database(args.database)
    if env is None:
        return 2
    database_url = env["DATABASE_URL"]
    started = time.perf_counter()
    seeded = run_child(env, ["seed", str(args.responses), "1" if args.reseed else "0"])
    print(
        f"wave {seeded['wave']}: {seeded['responses']:,} responses, {seeded['answers']:,} answers "
        f"({'seeded' if seeded['seeded'] else 'reused'} in {time.perf_counter() - started:.1f} s)"
    )
    out = Path(tempfile.mkdtemp(prefix="bench-export-"))
    figures: dict[str, list[dict[str, Any]]] = {kind: [] for kind in args.kinds}
    start_load = os.getloadavg()[0]
    loads = [f"before: {load_average()}"]
    try:
        for _round in range(args.repeat):
            for kind in args.kinds:
                figures[kind].append(
                    run_child(env, ["measure", kind, str(seeded["wave"]), str(out)])
                )
            loads.append(load_average())
    finally:
        for path in out.iterdir():
            path.unlink()
        out.rmdir()
    print_table(figures, args, database_url, loads)
    noisy = start_load > QUIET_LOAD
    met = check_targets(figures, noisy=noisy)
    return 0 if met else 1


def run_child(env: dict[str, str], argv: list[str]) -> dict[str, Any]:
    return common_run_child(__file__, env, argv)


def print_table(
    figures: dict[str, list[dict[str, Any]]],
    args: argparse.Namespace,
    database_url: str,
    loads: list[str],
) -> None:
    copy_median = median(figures.get("copy", []))
    copy_cpu = median(figures.get("copy", []), "cpu")
    print(
        f"\n{args.responses:,} responses × 20 questions; {args.repeat} rounds; PostgreSQL ", end=""
    )
    print(database_url.rsplit("@", 1)[-1])
    print(
        f"{'kind':<6}{'median s':>10}{'best s':>9}{'vs COPY':>9}{'CPU s':>8}{'vs COPY':>9}"
        f"{'peak MB':>9}{'idle MB':>9}{'rows':>11}{'file MB':>9}"
    )
    for kind, runs in figures.items():
        med, cpu = median(runs), median(runs, "cpu")
        ratio = f"{med / copy_median:.2f}×" if copy_median and kind != "copy" else "-"
        cpu_ratio = f"{cpu / copy_cpu:.2f}×" if copy_cpu and kind != "copy" else "-"
        print(
            f"{kind:<6}{med:>10.2f}{min(r['seconds'] for r in runs):>9.2f}{ratio:>9}"
            f"{cpu:>8.2f}{cpu_ratio:>9}"
            f"{max(r['peak_mb'] for r in runs):>9.0f}{max(r['idle_mb'] for r in runs):>9.0f}"
            f"{runs[0]['rows']:>11,}{runs[0]['bytes'] / 1e6:>9.1f}"
        )
    print(
        "rounds (s): "
        + "; ".join(
            f"{k} " + ", ".join(f"{r['seconds']:.2f}" for r in v) for k, v in figures.items()
        )
    )
    print("after each round: " + " | ".join(loads))


def check_targets(figures: dict[str, list[dict[str, Any]]], *, noisy: bool = False) -> bool:
    """Print every target with the COPY baseline beside the figure and the ratio; True when
    all are met."""
    ok = True
    copy_median, copy_cpu = median(figures.get("copy", [])), median(figures.get("copy", []), "cpu")
    print(
        f"\n{'target':<26}{'COPY s':>8}{'figure s':>10}{'ratio':>8}{'goal':>7}"
        f"{'CPU ratio':>11}{'paired':>8}  verdict"
    )
    for kind, goal in TARGET_RATIOS.items():
        runs = figures.get(kind)
        if not runs or not copy_median:
            continue
        ratio = median(runs) / copy_median
        cpu_ratio = median(runs, "cpu") / copy_cpu if copy_cpu else float("nan")
        # Each round's figure over the same round's COPY: steadier when the load changes.
        paired = statistics.median(
            r["seconds"] / c["seconds"] for r, c in zip(runs, figures["copy"], strict=False)
        )
        met = ratio <= goal
        ok &= met
        print(
            f"{kind.upper() + ' ≤ ' + f'{goal:g}' + '× COPY (median wall)':<26}"
            f"{copy_median:>8.2f}{median(runs):>10.2f}{ratio:>7.2f}×{goal:>6g}×"
            f"{cpu_ratio:>10.2f}×{paired:>7.2f}×  {'met' if met else 'MISSED'}"
        )
    for kind in ("csv", "xlsx", "sav"):
        if figures.get(kind):
            peak = max(r["peak_mb"] for r in figures[kind])
            met = peak < TARGET_PEAK_MB
            ok &= met
            verdict = "met" if met else "MISSED"
            print(
                f"{f'{kind.upper()} peak RSS < {TARGET_PEAK_MB} MB':<26}{peak:>26.0f} MB  {verdict}"
            )
    if noisy:
        print(
            f"NOISY: the 1-minute load average was above {QUIET_LOAD:g} before the run; "
            "record these figures as noisy and re-run on a quiet machine."
        )
    return ok


def median(runs: list[dict[str, Any]], key: str = "seconds") -> float:
    return statistics.median(r[key] for r in runs) if runs else 0.0


# In the child processes ----------------------------------------------------------------------


def child(argv: list[str]) -> int:
    child_setup()
    if argv[0] == "seed":
        result = seed(responses=int(argv[1]), reseed=argv[2] == "1")
    else:
        result = measure(kind=argv[1], wave_id=int(argv[2]), out=Path(argv[3]))
    print(json.dumps(result))
    return 0


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def measure(*, kind: str, wave_id: int, out: Path) -> dict[str, Any]:
    from django.db import connection

    from surveys.models import Wave
    from surveys.services.exports import wave_export

    wave = Wave.objects.select_related("questionnaire").get(pk=wave_id)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    idle = peak_mb()
    path = out / f"{kind}.{EXTENSIONS[kind]}"
    server_cpu = process_cpu(backend)
    client_cpu = time.process_time()
    started = time.perf_counter()
    if kind == "copy":
        copy_answers(wave=wave, path=path)
    else:
        rows = wave_export(wave=wave, file_format=kind, path=path).rows
    seconds = time.perf_counter() - started
    client_cpu = time.process_time() - client_cpu
    server_cpu = process_cpu(backend) - server_cpu
    if kind == "copy":
        with path.open("rb") as f:
            rows = sum(1 for _line in f)
    return {
        "kind": kind,
        "seconds": seconds,
        # CPU seconds of this process and of its PostgreSQL backend: what the work cost,
        # whatever else the two cores were doing meanwhile.
        "cpu": client_cpu + server_cpu,
        "rows": rows,
        "bytes": path.stat().st_size,
        "peak_mb": peak_mb(),
        "idle_mb": idle,
    }


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of a local process (the database backend), from /proc; NaN
    when the database runs elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def copy_answers(*, wave: Any, path: Path) -> None:
    """COPY the export's own answer query, over every exported response at once, into a file."""
    import psycopg
    from django.db import connection
    from django.db.models import Max, Min

    from surveys.services.exports import export_answers, responses_to_export

    span = responses_to_export(wave=wave).aggregate(first=Min("pk"), last=Max("pk"))
    query = export_answers(wave=wave, first=span["first"], last=span["last"])
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        raw = cursor.cursor
        statement = psycopg.ClientCursor(raw.connection).mogrify(sql, params)
        with path.open("wb") as f, raw.copy(f"COPY ({statement}) TO STDOUT") as copy:
            for block in copy:
                f.write(block)


def seed(*, responses: int, reseed: bool) -> dict[str, Any]:
    """A fresh wave of ``responses`` submitted responses with 20 answers each, unless one is
    there already."""
    from datetime import date

    from django.db import connection, transaction

    from surveys.models import Answer, Company, Response, Study, StudyKind, Wave, WaveStatus

    study, _created = Study.objects.get_or_create(
        slug="bench-export", defaults={"name": "Benchmark: eksport", "kind": StudyKind.PANEL}
    )
    slug = f"n{responses}"
    wave = Wave.objects.filter(study=study, slug=slug).first()
    if wave is not None and not reseed:
        count = Response.objects.filter(wave=wave).count()
        if count == responses:
            answers = Answer.objects.filter(wave=wave).count()
            return {"wave": wave.pk, "responses": count, "answers": answers, "seeded": False}
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE surveys_answer, surveys_response, surveys_invitation, kundeservice_job "
            "RESTART IDENTITY CASCADE"
        )
    Wave.objects.filter(study=study).delete()
    if not Company.objects.filter(is_active=True).exists():
        from surveys.demo import seed as seed_catalog

        seed_catalog(stdout_lines=[])
    from surveys.services.questionnaires import questionnaire_create

    with transaction.atomic():
        questionnaire = questionnaire_create(spec=export_spec())
        wave = Wave.objects.create(
            study=study,
            slug=slug,
            name=f"Eksport, {responses} svar",
            questionnaire=questionnaire,
            starts_on=date(2026, 1, 1),
            ends_on=date(2026, 12, 31),
            status=WaveStatus.OPEN,
        )
    rng = random.Random(2026)
    _seed_responses(wave=wave, count=responses, rng=rng)
    answers = _seed_answers(wave=wave, rng=rng)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE surveys_response")
        cursor.execute("ANALYZE surveys_answer")
    return {"wave": wave.pk, "responses": responses, "answers": answers, "seeded": True}


def export_spec() -> dict[str, Any]:
    import copy

    from surveys.specs import KSINDEKS

    spec = copy.deepcopy(KSINDEKS)
    spec["slug"] = "bench-export-20"
    spec["title"] = "Benchmark: eksport, 20 spørsmål"
    spec["sections"].append(
        {
            "key": "service",
            "title": "Om betjeningen",
            "questions": [
                *(
                    {"key": key, "type": "rating", "scale": [1, 6], "text": text, "allow_na": na}
                    for key, text, na in EXTRA_RATINGS
                ),
                {
                    "key": "topics",
                    "type": "multiple_choice",
                    "allow_na": True,
                    "text": "Hva gjaldt henvendelsen?",
                    "options": [{"value": v, "label": v.capitalize()} for v in TOPICS],
                },
            ],
        }
    )
    assert sum(len(s["questions"]) for s in spec["sections"]) == 20
    return spec


def _seed_responses(*, wave: Any, count: int, rng: random.Random) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from surveys.models import Channel, Company, Region, Response, ResponseSource, ResponseStatus

    companies = list(Company.objects.filter(is_active=True).values_list("pk", flat=True))
    channels = list(Channel.values)
    regions = list(Region.values)
    start = timezone.now() - timedelta(days=30)
    batch: list[Response] = []
    for i in range(count):
        batch.append(
            Response(
                wave=wave,
                source=ResponseSource.PANEL,
                status=ResponseStatus.SUBMITTED,
                language="nb" if i % 10 else "en",
                company_id=rng.choice(companies),
                channel=rng.choice(channels),
                score=round(rng.uniform(20, 100), 2),
                weight=round(rng.uniform(0.4, 2.5), 4),
                gender=rng.choice(["female", "male"]),
                age_group=rng.choice(["18-29", "30-44", "45-59", "60+"]),
                region=rng.choice(regions),
                submitted_at=start + timedelta(seconds=i * 30 * 86_400 // count),
            )
        )
        if len(batch) == 5000:
            Response.objects.bulk_create(batch)
            batch = []
    Response.objects.bulk_create(batch)


def _seed_answers(*, wave: Any, rng: random.Random) -> int:
    """Every response's 20 answers, written with COPY."""
    from django.db import connection

    from surveys.models import Channel, Company, Question, Response

    slugs = dict(Company.objects.values_list("pk", "slug"))
    questions = list(
        Question.objects.filter(questionnaire=wave.questionnaire)
        .order_by("section__position", "position")
        .values_list("pk", "key", "section_id", "type")
    )
    channels = list(Channel.values)
    columns = (
        "response_id, question_id, wave_id, section_id, company_id, channel, value_text, "
        "value_number, value_choices, is_na, score"
    )
    written = 0
    # Read first: the connection cannot fetch while it is in COPY mode.
    rows = list(
        Response.objects.filter(wave=wave).order_by("pk").values_list("pk", "company_id", "channel")
    )
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY surveys_answer ({columns}) FROM STDIN") as copy,
    ):
        lines: list[str] = []
        for response_id, company_id, channel in rows:
            for question_id, key, section_id, qtype in questions:
                text, number, choices, na, score = _value(
                    key, qtype, slugs[company_id], channel, channels, rng
                )
                lines.append(
                    f"{response_id}\t{question_id}\t{wave.pk}\t{section_id}\t{company_id}\t"
                    f"{channel}\t{text}\t{number}\t{choices}\t{na}\t{score}\n"
                )
            if len(lines) >= 50_000:
                copy.write("".join(lines))
                written += len(lines)
                lines = []
        copy.write("".join(lines))
        written += len(lines)
    return written


def _value(
    key: str, qtype: str, company: str, channel: str, channels: list[str], rng: random.Random
) -> tuple[str, str, str, str, str]:
    """(value_text, value_number, value_choices, is_na, score) in COPY's text format."""
    null = "\\N"
    if key == "company":
        return company, null, null, "f", null
    if key in {"channel", "preferred_channel"}:
        return (channel if key == "channel" else rng.choice(channels)), null, null, "f", null
    if qtype == "yes_no":
        return (
            ("yes" if key == "contacted_cs" else rng.choice(["yes", "no"])),
            null,
            null,
            "f",
            null,
        )
    if key == "resolved":
        return rng.choice(["yes", "partly", "no"]), null, null, "f", null
    if qtype == "text":
        return rng.choice(COMMENTS), null, null, "f", null
    if qtype == "multiple_choice":
        if rng.random() < 0.05:
            return "", null, null, "t", null
        chosen = sorted(rng.sample(TOPICS, rng.randint(1, 3)), key=TOPICS.index)
        return "", null, json.dumps(chosen), "f", null
    if qtype == "rating":
        if key in {"informed", "effort"} and rng.random() < 0.05:
            return "", null, null, "t", null
        x = rng.randint(1, 6)
        return "", str(float(x)), null, "f", str((x - 1) / 5 * 100)
    if qtype == "nps":
        x = rng.randint(0, 10)
        return "", str(float(x)), null, "f", str(x * 10.0)
    return "", str(rng.choice([0.5, 1.0, 2.0, 3.5, 5.0, 10.0, 25.0])), null, "f", null


if __name__ == "__main__":
    sys.exit(main())
