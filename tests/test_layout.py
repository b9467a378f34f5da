"""``arxl.render.layout``: widths from content (a number never meets a column too narrow for it), rows grown for
wrapped text and headers, paper and date format from Settings, every report page with its title block."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from arxl.contract import DATE_FORMATS
from arxl.ledger import Settings
from arxl.load import load_tables, raw_table_from_rows
from arxl.render.layout import (
    DATE_EXAMPLES,
    LINE_HEIGHT,
    date_format,
    finish,
    fit,
    format_date,
    number_text,
    paper_size,
    scale_to_fit,
    text_width,
    wrapped_lines,
)
from arxl.render.spec import ACCOUNTING, ISO_DATE, Block, Cell, PageSetup, SheetSpec, cell_style


@pytest.mark.parametrize(("currency", "paper", "dates"), [
    ("USD", "letter", "mm/dd/yyyy"),
    ("CAD", "letter", "yyyy-mm-dd"),
    ("EUR", "a4", "dd/mm/yyyy"),
    ("GBP", "a4", "dd/mm/yyyy"),
    ("CHF", "a4", "dd.mm.yyyy"),
    ("JPY", "a4", "yyyy-mm-dd"),
])
def test_paper_and_dates_follow_the_reporting_currency(currency: str, paper: str, dates: str) -> None:
    settings = Settings(reporting_currency=currency)
    assert (paper_size(settings), date_format(settings)) == (paper, dates)


def test_settings_choose_paper_and_dates_over_the_currency() -> None:
    settings = Settings(reporting_currency="USD", paper_size="a4", date_format="d mmm yyyy")
    assert (paper_size(settings), date_format(settings)) == ("a4", "d mmm yyyy")


def test_every_date_format_shows_the_third_of_june_as_its_example_says() -> None:
    shown = {code: format_date(dt.date(2026, 6, 3), code) for code in DATE_FORMATS}
    assert shown == {"yyyy-mm-dd": "2026-06-03", "mm/dd/yyyy": "06/03/2026", "dd/mm/yyyy": "03/06/2026",
                     "dd.mm.yyyy": "03.06.2026", "yyyy/mm/dd": "2026/06/03", "d mmm yyyy": "3 Jun 2026",
                     "mmm d, yyyy": "Jun 3, 2026"}
    assert set(DATE_EXAMPLES) == set(DATE_FORMATS)


def test_settings_paper_and_date_format_are_read_and_checked() -> None:
    settings = [["key", "value"], ["paper_size", "Letter"], ["date_format", "DD/MM/YYYY"]]
    loaded = load_tables({"Settings": raw_table_from_rows("Settings", settings)})
    assert (loaded.ledger.settings.paper_size, loaded.ledger.settings.date_format) == ("letter", "dd/mm/yyyy")
    bad = [["key", "value"], ["paper_size", "A3"], ["date_format", "31/12"]]
    problems = load_tables({"Settings": raw_table_from_rows("Settings", bad)}).problems
    located = {(problem.row, problem.column, problem.value) for problem in problems
               if problem.is_error and problem.sheet == "Settings"}
    assert located == {(2, "value (paper_size)", "A3"), (3, "value (date_format)", "31/12")}


def test_numbers_are_measured_as_their_format_shows_them() -> None:
    assert number_text(-78.83, ACCOUNTING)[0] == "(78.83)"
    assert number_text(1_140_263.55, ACCOUNTING)[0] == "1,140,263.55"
    assert number_text(0.591, "0.0%_)")[0] == "59.1%"
    assert number_text(-24, "#,##0_)")[0] == "-24"
    assert number_text(0, ACCOUNTING)[0] == "-"


def test_text_width_counts_wide_and_narrow_letters() -> None:
    # 8 digits at 1 + a comma and a point at 0.5 each = 9 units; "Ill" = I 0.6 + l 0.5 + l 0.5 = 1.6
    assert text_width("234,285.04") == pytest.approx(9.0)
    assert text_width("Ill") == pytest.approx(1.6)
    assert text_width("MW") > text_width("mm") > text_width("ab")
    assert text_width("ab", bold=True) > text_width("ab")


def _spec(frame: pd.DataFrame, styles: tuple[str, ...], **kwargs: object) -> SheetSpec:
    cells = {(1, 1): Cell("Test Co", "title"), (2, 1): Cell("Report as of 2026-06-30", "subtitle")}
    cells.update(kwargs.pop("cells", {}))  # type: ignore[arg-type]
    return SheetSpec("Report", cells=cells, blocks=(Block(4, 1, frame, styles),), **kwargs)  # type: ignore[arg-type]


def test_a_money_column_is_never_narrower_than_its_widest_amount() -> None:
    """C0039's Over 90 (234,285.04) printed ### in a column of 9: the width now follows the figure.

    234,285.04 is 9 units (see above), the accounting format pads it with _( and _) (0.7 each): 10.4, and one
    unit of margin: 11.4 at least, whatever narrower width the sheet asked for.
    """
    frame = pd.DataFrame({"Over 90": [234_285.04, 12.5]})
    fitted = fit(_spec(frame, ("money",), widths={1: 9.0}))
    assert fitted.widths[1] >= 11.4
    assert fitted.fitted and fit(fitted) is fitted


def test_text_sizes_its_column_only_when_the_next_cell_is_taken() -> None:
    long_label = "A label much longer than the first column"
    frame = pd.DataFrame({"ID": ["C1"]})
    flowing = fit(_spec(frame, ("text",), cells={(10, 1): Cell(long_label, "label")}))
    blocked = fit(_spec(frame, ("text",), cells={(10, 1): Cell(long_label, "label"), (10, 2): Cell(5.0, "money")}))
    assert flowing.widths[1] < text_width(long_label)
    assert blocked.widths[1] > text_width(long_label, bold=True)


def test_wrapped_text_and_long_headers_grow_their_rows() -> None:
    reason = "remittance names INV-000085 and INV-000086; amounts agree to the cent after the discount " * 2
    frame = pd.DataFrame({"Oldest days past due": [3, 4], "Reason": ["short", reason]})
    fitted = fit(_spec(frame, ("integer", "wrap"), widths={2: 30.0}))
    assert fitted.widths[2] == 30.0
    lines = wrapped_lines(reason, 30.0 - 1.5)  # the indent of text inside a table takes 1.5 units
    assert lines >= 6 and fitted.heights[6] == LINE_HEIGHT * lines  # the second data row
    assert 5 not in fitted.heights  # "short" stays on one line
    assert fitted.heights[4] >= 2 * LINE_HEIGHT  # "Oldest days past due" over a column of 1-digit numbers


def test_finish_applies_settings_and_repeats_the_title_block() -> None:
    frame = pd.DataFrame({"Date": pd.to_datetime(["2026-06-30"]), "Amount": [1.0]})
    spec = _spec(frame, ("date", "money"), page=PageSetup(landscape=True, title_rows=(4, 4)))
    finished = finish(spec, Settings(reporting_currency="EUR", paper_size="legal"))
    assert finished.page is not None
    assert (finished.page.paper, finished.page.title_rows) == ("legal", (1, 4))
    assert finished.date_format == "dd/mm/yyyy"
    assert finished.style("date").number_format == "dd/mm/yyyy"
    assert cell_style("date").number_format == ISO_DATE


def test_block_text_is_indented_and_numbers_keep_a_gap() -> None:
    assert cell_style("text", in_block=True).indent == 1
    assert cell_style("date", in_block=True).indent == 1
    assert cell_style("money", in_block=True).indent == 0
    assert cell_style("integer").number_format.endswith("_)")  # "121USD" no more
    assert cell_style("money+rule").border_bottom == "thin"


def test_a_scale_fits_the_columns_across_the_paper() -> None:
    # Letter portrait holds 8.5 - 2 x 0.5 = 7.5 inches = 540 points. Eight columns of 12 units take
    # 8 x (12 x 7 + 3.75) = 702 points at most: 540 / 702 = 76.9 %, so 76.
    assert scale_to_fit(dict.fromkeys(range(1, 9), 12.0), range(1, 9), "letter") == 76
    assert scale_to_fit({1: 10.0}, range(1, 2), "letter") == 100
