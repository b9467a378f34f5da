"""Excel's naming and addressing rules (``arxl.excel``), against values worked out by hand."""

from __future__ import annotations

import pytest

from arxl.excel import MAX_COLUMNS, cell_reference, column_letter, column_number, parse_cell, parse_range, quoted


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
