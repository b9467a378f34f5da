"""Excel's naming and addressing rules (``arxl.excel``), against values worked out by hand."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arxl.excel import (
    MAX_CELL_TEXT,
    MAX_COLUMNS,
    MAX_ROWS,
    beyond_sheet,
    cell_reference,
    column_letter,
    column_number,
    cut_text,
    parse_cell,
    parse_range,
    quoted,
    sheet_name_problem,
    text_too_long,
    utf16_length,
    volatile_functions,
)


def test_sheet_names_are_quoted_with_inner_quotes_doubled() -> None:
    assert quoted("Aging") == "'Aging'"
    assert quoted("Aging Detail") == "'Aging Detail'"
    assert quoted("O'Brien's") == "'O''Brien''s'"


@pytest.mark.parametrize(("number", "letters"), [
    (1, "A"), (26, "Z"),  # one letter: 26 columns
    (27, "AA"), (28, "AB"), (52, "AZ"), (53, "BA"),  # AA follows Z: 26 + 1; BA is 2 * 26 + 1
    (702, "ZZ"),  # 26 + 26 * 26
    (703, "AAA"), (16384, "XFD"),  # XFD = 24 * 676 + 6 * 26 + 4
])
def test_column_numbers_and_letters_both_ways(number: int, letters: str) -> None:
    assert column_letter(number) == letters
    assert column_number(letters) == number
    assert column_number(letters.lower()) == number


def test_every_column_of_a_sheet_goes_there_and_back() -> None:
    letters = [column_letter(number) for number in range(1, MAX_COLUMNS + 1)]
    assert len(set(letters)) == MAX_COLUMNS
    assert [column_number(text) for text in letters] == list(range(1, MAX_COLUMNS + 1))


@pytest.mark.parametrize("bad", ["", "A1", "$A", "Ä", " A"])
def test_what_is_not_a_column_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="not a column"):
        column_number(bad)


def test_column_zero_does_not_exist() -> None:
    with pytest.raises(ValueError, match="numbered from 1"):
        column_letter(0)


def test_cell_references() -> None:
    assert cell_reference(7, 2) == "B7"
    assert cell_reference(1_048_576, 16384) == "XFD1048576"
    assert parse_cell("B7") == (7, 2)
    assert parse_cell("$B$7") == (7, 2)
    assert parse_cell("'Aging'!$AB$10") == (10, 28)
    with pytest.raises(ValueError, match="not a cell"):
        parse_cell("B7:C8")


@pytest.mark.parametrize(("reference", "bounds"), [
    ("A1:J20", (1, 1, 20, 10)),
    ("$A$1:$J$20", (1, 1, 20, 10)),
    ("C6", (6, 3, 6, 3)),  # one cell is a range of one
    ("'Aging'!$C$6:$C$20", (6, 3, 20, 3)),
    ("'Wow! Sales'!B2:D4", (2, 2, 4, 4)),  # a quoted sheet name may hold "!"
    ("'O''Brien'!a1:b2", (1, 1, 2, 2)),
    ("J20:A1", (1, 1, 20, 10)),  # corners in either order, as Excel accepts them
])
def test_ranges(reference: str, bounds: tuple[int, int, int, int]) -> None:
    assert parse_range(reference) == bounds


@pytest.mark.parametrize("bad", ["", "A", "1", "A0", "A1:", "A1:B", "A1:B2:C3", "AAAA1", "A1 ", "R1C1"])
def test_what_is_not_a_range_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="not a cell or range"):
        parse_range(bad)


@pytest.mark.parametrize("beyond", ["XFE1", "A1048577", "A1:XFE2", "ZZZ1"])
def test_references_beyond_the_last_cell_are_names_not_cells(beyond: str) -> None:
    with pytest.raises(ValueError, match="beyond the last cell"):
        parse_range(beyond)
    if ":" not in beyond:
        with pytest.raises(ValueError, match="beyond the last cell"):
            parse_cell(beyond)


# --- Excel's limits ---------------------------------------------------------------------------------------------

def test_lengths_count_utf16_units_as_excel_does() -> None:
    assert utf16_length("Acme") == 4
    assert utf16_length("Café") == 4  # é is one unit
    assert utf16_length("😀") == 2  # beyond U+FFFF: a surrogate pair
    assert utf16_length("a😀b") == 4


def test_text_longer_than_a_cell_holds_is_named_with_its_length() -> None:
    assert text_too_long("x" * MAX_CELL_TEXT) is None
    assert text_too_long("x" * 40_006) == "text of 40,006 characters is longer than Excel's 32,767"
    # 16,384 emoji are 32,768 units: one more than a cell holds, though only 16,384 Python characters.
    assert text_too_long("😀" * 16_384) == "text of 32,768 characters is longer than Excel's 32,767"
    assert text_too_long("😀" * 16_383 + "x") is None  # 32,766 + 1 units


def test_text_is_cut_to_the_limit_never_inside_a_character() -> None:
    assert cut_text("x" * 40_006) == "x" * MAX_CELL_TEXT
    cut = cut_text("😀" * 16_384)
    assert cut == "😀" * 16_383 and utf16_length(cut) == 32_766  # the last emoji would straddle the limit
    assert cut_text("short") == "short"


@pytest.mark.parametrize(("name", "problem"), [
    ("Aging", None),
    ("ST O'Brien", None),  # an apostrophe inside is fine
    ("x" * 31, None),
    ("x" * 32, "a sheet name of 32 characters is longer than Excel's 31"),
    ("😀" * 16, "a sheet name of 32 characters is longer than Excel's 31"),  # 16 emoji = 32 units
    ("ST C'", "a sheet name cannot start or end with an apostrophe"),
    ("'ST C", "a sheet name cannot start or end with an apostrophe"),
    ("ST A/B", "a sheet name cannot hold /"),
    ("ST [1]?", "a sheet name cannot hold ? [ ]"),
    ("History", "History is a name Excel keeps for itself"),
    ("history", "history is a name Excel keeps for itself"),
    ("", "a sheet name cannot be empty"),
])
def test_sheet_names_are_checked_against_excels_rules(name: str, problem: str | None) -> None:
    assert sheet_name_problem(name) == problem


def test_cells_beyond_the_last_row_or_column_are_named() -> None:
    assert beyond_sheet(MAX_ROWS) is None
    assert beyond_sheet(MAX_ROWS + 1) == "row 1,048,577 is beyond Excel's last row, 1,048,576"
    assert beyond_sheet(1, 16_385) == "column 16,385 is beyond Excel's last column, XFD (16,384)"


@pytest.mark.parametrize(("formula", "found"), [
    ("TODAY()", ("TODAY",)),
    ("today ()-30", ("TODAY",)),
    ("C55+90", ()),
    ("DATE(2026,6,30)", ()),
    ('IF(A1="NOW()",1,2)', ()),  # inside a string: not a call
    ("'RAND(1)'!A1+1", ()),  # a quoted sheet name
    ("MYNOW()+1", ()),  # another function whose name ends like one
    ("SUM(OFFSET(A1,0,0,3,1))+INDIRECT(\"B2\")+NOW()", ("OFFSET", "INDIRECT", "NOW")),
    ("_xlfn.RANDARRAY(3)", ("RANDARRAY",)),
    ('CELL("filename")&INFO("osversion")', ("CELL", "INFO")),
])
def test_volatile_functions_are_found_in_formulas(formula: str, found: tuple[str, ...]) -> None:
    assert volatile_functions(formula) == found


@given(st.text(), st.integers(min_value=0, max_value=40))
def test_cut_text_keeps_the_longest_prefix_within_the_limit(text: str, limit: int) -> None:
    cut = cut_text(text, limit)
    assert utf16_length(cut) == len(cut.encode("utf-16-le")) // 2  # Excel's count, as UTF-16 itself gives it
    assert text.startswith(cut) and utf16_length(cut) <= limit
    if cut != text:  # the next character would not have fitted
        assert utf16_length(text[:len(cut) + 1]) > limit
