"""Uploads: time to refuse a spreadsheet bomb, and peak memory of a 5 MB XLSForm import.

    .venv/bin/python bench/xlsform_upload.py

Each case runs in a fresh process (so its peak RSS is its own): the file is built first, then
the clock starts. Reads and checks only (``questionnaire_review_xlsform``, ``read_rows``): no
database. Exits 1 when a refusal takes 2 s or more, or the import peaks at 200 MB or more.
"""

import base64
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CASES = {
    "xlsform: 2,000,000 empty rows (27 KB)": "xlsform_empty_bomb",
    "xlsform: 6,000 question rows": "xlsform_rows",
    "xlsform: LibreOffice A1:AMJ1048576 with 1,000,000 formatted empty rows": "xlsform_libreoffice",
    "xlsform: Excel A1:XFD1048576 with 1,000,000 formatted empty rows": "xlsform_excel",
    "panel: 2,000,000 empty rows (27 KB)": "panel_empty_bomb",
    "panel: 300,000 e-mail rows": "panel_rows",
    "xlsform: a 5 MB workbook of 4,900 questions (imported)": "xlsform_5mb",
}


def build(case: str) -> tuple[bytes, str]:
    from tests.workbook_bombs import xlsx_with

    header = [["type", "name", "label"]]
    if case == "xlsform_empty_bomb":
        return xlsx_with({"survey": [*header, ["text", "a", "A"]]}, empty_rows=2_000_000), "f.xlsx"
    if case == "xlsform_rows":
        rows = [["text", f"q{i}", "Q"] for i in range(6000)]
        return xlsx_with({"survey": [*header, *rows]}), "f.xlsx"
    if case in {"xlsform_libreoffice", "xlsform_excel"}:
        dimension = "A1:AMJ1048576" if case == "xlsform_libreoffice" else "A1:XFD1048576"
        return xlsx_with(
            {"survey": [*header, ["text", "a", "A"]]}, dimension=dimension, empty_rows=1_000_000
        ), "f.xlsx"
    if case == "panel_empty_bomb":
        return xlsx_with(
            {"panel": [["email"], ["kari@example.no"]]}, empty_rows=2_000_000
        ), "p.xlsx"
    if case == "panel_rows":
        rows = [[f"p{i}@example.no"] for i in range(300_000)]
        return xlsx_with({"panel": [["email"], *rows]}), "p.xlsx"
    # Long, varied labels so the compressed workbook is about 5 MB.
    rows = [["text", f"q{i}", base64.b64encode(os.urandom(1020)).decode()] for i in range(4900)]
    return xlsx_with({"survey": [*header, *rows]}), "f.xlsx"


def run_case(case: str, path: str, filename: str) -> None:
    import io
    import time

    import django

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kundeservice.settings")
    django.setup()
    from kundeservice.errors import DomainError
    from kundeservice.tabular import read_rows
    from surveys.services.xlsform import questionnaire_review_xlsform

    data = Path(path).read_bytes()
    before = _peak_kb()
    started = time.perf_counter()
    outcome = "imported"
    try:
        if case.startswith("panel"):
            read_rows(
                file=io.BytesIO(data), filename=filename, columns={"email": []}, required=["email"]
            )
        else:
            questionnaire_review_xlsform(file=io.BytesIO(data), filename=filename)
    except DomainError as exc:
        outcome = f"refused: {exc.messages[0]}"
    seconds = time.perf_counter() - started
    peak = _peak_kb()
    print(
        json.dumps(
            {
                "bytes": len(data),
                "seconds": round(seconds, 3),
                "outcome": outcome[:90],
                "peak_mb": round(peak / 1024, 1),
                "peak_before_mb": round(before / 1024, 1),
            }
        )
    )


def _peak_kb() -> int:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss, not inherited on fork)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def main() -> int:
    if len(sys.argv) == 5 and sys.argv[1] == "--case":
        run_case(sys.argv[2], sys.argv[3], sys.argv[4])
        return 0
    sys.path.insert(0, str(ROOT))
    print(f"load average before: {Path('/proc/loadavg').read_text().split()[:3]}")
    failed = False
    with tempfile.TemporaryDirectory() as folder:
        for title, case in CASES.items():
            data, filename = build(case)
            path = Path(folder) / filename
            path.write_bytes(data)
            del data
            result = subprocess.run(
                [sys.executable, __file__, "--case", case, str(path), filename],
                capture_output=True,
                text=True,
                cwd=ROOT,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
                check=True,
            )
            figures = json.loads(result.stdout.strip().splitlines()[-1])
            print(f"{title}: {figures}")
            if figures["outcome"].startswith("refused") and figures["seconds"] >= 2:
                failed = True
            if case == "xlsform_5mb" and figures["peak_mb"] >= 200:
                failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
