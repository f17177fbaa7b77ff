"""How figures read on the public pages: intervals in words, NPS named as NPS."""

from django.utils import translation

from surveys.models import ResultRow
from surveys.templatetags.results import interval, measure_label

LABELS = {"q:nps": "Hvor sannsynlig er det at du anbefaler oss?"}


def nps_row(**extra: object) -> ResultRow:
    return ResultRow(
        measure="q:nps", metric="nps", value=-9.4, ci_low=-12.3, ci_high=-7.1, n=300, **extra
    )


def test_an_interval_of_negative_figures_reads_unambiguously() -> None:
    """ "−12–−7" reads as a subtraction."""
    with translation.override("nb"):
        assert interval(nps_row()) == "\u221212 til \u22127"
    with translation.override("en"):
        assert interval(nps_row()) == "\u221212 to \u22127"
    share = ResultRow(measure="q:x=yes", metric="share", value=70.0, ci_low=65.04, ci_high=74.96)
    with translation.override("nb"):
        assert interval(share) == "65,0 til 75,0"


def test_the_nps_question_says_which_figure_is_nps_and_which_the_average() -> None:
    average = ResultRow(measure="q:nps", metric="mean", value=79.0, n=300)
    with translation.override("nb"):
        assert measure_label(nps_row(), LABELS).endswith("– NPS (−100 til 100)")
        assert measure_label(average, LABELS).endswith("– gjennomsnitt (0–100)")
    with translation.override("en"):
        assert measure_label(nps_row(), LABELS).endswith("– NPS (−100 to 100)")
        assert measure_label(average, LABELS).endswith("– average (0–100)")
    area = ResultRow(measure="area:agent", metric="mean", value=70.0)
    assert measure_label(area, {"area:agent": "Kundebehandleren"}) == "Kundebehandleren"
