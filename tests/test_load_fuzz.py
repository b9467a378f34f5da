"""Fuzzing the loader: messy tables never raise, and every problem says where it is."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arxl import contract
from arxl.load import RawTable, load_tables

CELL = st.one_of(
    st.none(),
    st.just(""),
    st.text(max_size=12),
    st.sampled_from(["NA", "NULL", "None", "nan", "#N/A", "#REF!", "=1+1", "+cmd", " C1 ", "\u00a0C1", "00123",
                     "123", "$1,234.56", "(250.00)", "1.234,56", "12e3", "31/02/2026", "03/04/2026", "2026-02-30",
                     "yes", "no", "invoice", "credit_note", "disputed", "void", "USD", "XYZ", "C1", "I1", "P1"]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-1e16, max_value=1e16),
    st.integers(min_value=-10**12, max_value=10**12),
    st.booleans(),
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(1900, 3, 31)),
    st.dates(min_value=dt.date(9998, 12, 1), max_value=dt.date(9999, 12, 31)),
    st.dates(),
    st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(9999, 12, 31)),
    st.sampled_from([1.0, 59.0, 60.0, 61.0, 2958465.0, 2958466.0, -1.0, 0.5]),
)


@st.composite
def messy_table(draw: st.DrawFn, table: contract.Table) -> RawTable:
    names = [column.name for column in table.columns]
    header = draw(st.lists(st.sampled_from([*names, "Invoice ID", " amount ", "extra", "", None]), min_size=0,
                           max_size=len(names) + 2))
    if draw(st.booleans()):
        header = names + header[:2]
    rows = draw(st.lists(st.lists(CELL, min_size=0, max_size=len(header) + 1), max_size=6))
    return RawTable(table.name, header, rows, first_row=draw(st.integers(min_value=2, max_value=50)))


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.fixed_dictionaries({}, optional={table.name: messy_table(table) for table in contract.TABLES}))
def test_messy_tables_never_raise_and_every_problem_is_located(raw: dict[str, RawTable]) -> None:
    result = load_tables(raw)
    for problem in result.problems:
        assert problem.sheet, problem
        assert problem.severity in ("error", "warning")
        assert problem.message
        if problem.row is not None:
            assert problem.row >= 1
        text = str(problem)
        assert text.startswith(problem.sheet)
    if result.ok:
        ledger = result.ledger
        assert (ledger.invoices["amount"].dtype.kind, ledger.payments["amount"].dtype.kind) == ("i", "i")
