"""The corpus: pyxform's own example and test-suite forms (BSD-2, see
tests/xlsform_corpus/pyxform/LICENSE). Of those pyxform accepts, at least 90 % import; the
only exception by design is repeats, which are refused with their own message."""

from pathlib import Path
from typing import Any

import pytest
from django.utils import translation
from pyxform.xls2xform import convert

from kundeservice.errors import DomainError, ImportRejected
from surveys.services.questionnaires import spec_problems
from surveys.xlsform import _load_workbook, _pyxform_build, _pyxform_convert, read_xlsform

CORPUS = Path(__file__).resolve().parents[2] / "xlsform_corpus"


def _uses_repeats(element: dict[str, Any]) -> bool:
    return element.get("type") in {"repeat", "loop"} or any(
        _uses_repeats(child) for child in element.get("children") or []
    )


def _outcome(path: Path) -> str:
    """ "ok", or the first message that refused the form."""
    try:
        with path.open("rb") as file:
            parsed = read_xlsform(file=file, filename=path.name)
    except ImportRejected as exc:
        return "; ".join(error.message for error in exc.row_errors)
    except DomainError as exc:
        return exc.messages[0]
    problems = spec_problems(parsed.spec)
    return problems[0].message if problems else "ok"


@pytest.mark.timeout(600)
def test_at_least_nine_in_ten_corpus_forms_without_repeats_import() -> None:
    forms = sorted(p for p in CORPUS.rglob("*") if p.suffix in {".xlsx", ".xls", ".csv", ".md"})
    assert len(forms) > 800
    plain: list[str] = []
    with_repeats: list[str] = []
    for path in forms:
        try:
            survey_json = convert(xlsform=str(path), validate=False)._pyxform or {}
        except Exception:  # noqa: S112 — pyxform refuses it: not part of the measure
            continue
        with translation.override("en"):
            outcome = _outcome(path)
        (with_repeats if _uses_repeats(survey_json) else plain).append(outcome)
    imported = plain.count("ok")
    assert imported / len(plain) >= 0.9, (imported, len(plain))
    assert with_repeats
    assert all("Repeated groups" in outcome for outcome in with_repeats if outcome != "ok")


@pytest.mark.timeout(600)
def test_pyxform_refuses_exactly_the_forms_its_own_conversion_refuses() -> None:
    """The import builds pyxform's XForm without keeping its text (memory, issue 18): every
    corpus form it lets through, pyxform's own conversion (xls2xform) converts, and the other
    way round."""
    forms = sorted(p for p in CORPUS.rglob("*") if p.suffix in {".xlsx", ".xls", ".csv", ".md"})
    differ: list[str] = []
    for path in forms:
        try:
            convert(xlsform=str(path), validate=False)
            theirs = "ok"
        except Exception as exc:  # any refusal counts as one
            theirs = f"refused: {exc}"[:120]
        try:
            with path.open("rb") as file:
                workbook, stem = _load_workbook(file=file, filename=path.name)
        except DomainError:
            continue  # refused before pyxform reads it (size, rows): not part of the measure
        errors, survey_json = _pyxform_convert(workbook, stem, None)
        if survey_json is not None:
            errors = _pyxform_build(survey_json, None)
        ours = "ok" if not errors else "refused"
        if ours != theirs[: len(ours)]:
            differ.append(f"{path.name}: pyxform {theirs}, ours {ours}")
    assert not differ, "\n".join(differ)
