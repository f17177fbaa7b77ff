"""Share of the corpus forms that pyxform accepts which the platform imports.

    .venv/bin/python bench/xlsform_corpus.py [-v]

Reads every form under tests/xlsform_corpus/ (pyxform's own example forms, BSD-2), converts it
with pyxform, and for those pyxform accepts checks that ``read_xlsform`` turns it into a valid
questionnaire specification (no database needed). Prints the count, the share and, with -v, why
each refused form was refused.
"""

import os
import sys
from pathlib import Path

import django

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kundeservice.settings")
django.setup()

from pyxform.xls2xform import convert  # noqa: E402

from kundeservice.errors import DomainError, ImportRejected  # noqa: E402
from surveys.services.questionnaires import spec_problems  # noqa: E402
from surveys.xlsform import read_xlsform  # noqa: E402

CORPUS = ROOT / "tests" / "xlsform_corpus"
EXTENSIONS = {".xlsx", ".xls", ".csv", ".md"}


def pyxform_json(path: Path) -> dict | None:
    """pyxform's survey JSON of the form, or None when pyxform refuses it."""
    try:
        return convert(xlsform=str(path), validate=False)._pyxform or {}
    except Exception:  # any refusal, in pyxform's many exception types
        return None


def uses_repeats(element: dict) -> bool:
    """Does pyxform's survey JSON hold a repeat (which the platform refuses by design)?"""
    return element.get("type") in {"repeat", "loop"} or any(
        uses_repeats(child) for child in element.get("children") or []
    )


def corpus_results() -> list[tuple[Path, bool, str, bool]]:
    """(form, imported, why not, uses repeats) for every corpus form pyxform accepts."""
    results = []
    for path in sorted(p for p in CORPUS.rglob("*") if p.suffix.lower() in EXTENSIONS):
        survey_json = pyxform_json(path)
        if survey_json is None:  # pyxform refuses it: not part of the measure
            continue
        repeats = uses_repeats(survey_json)
        why = ""
        try:
            with path.open("rb") as file:
                parsed = read_xlsform(file=file, filename=path.name)
            problems = spec_problems(parsed.spec)
            if problems:
                why = "; ".join(p.message for p in problems[:3])
        except ImportRejected as exc:
            why = "; ".join(
                f"{e.sheet}:{e.row}:{e.column} {e.message}"  # type: ignore[attr-defined]
                for e in exc.row_errors[:3]
            )
        except DomainError as exc:
            why = exc.messages[0]
        results.append((path, not why, why, repeats))
    return results


def main() -> None:
    results = corpus_results()
    for label, subset in (
        ("all forms", results),
        ("forms without repeats", [r for r in results if not r[3]]),
    ):
        imported = sum(1 for r in subset if r[1])
        print(
            f"{label}: {imported} of {len(subset)} that pyxform accepts import "
            f"({imported / len(subset):.1%})"
        )
    if "-v" in sys.argv:
        for path, ok, why, _repeats in results:
            if not ok:
                print(f"  {path.relative_to(CORPUS)}: {why}")


if __name__ == "__main__":
    main()
