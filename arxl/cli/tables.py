"""Tables for people in a terminal, where an amount is never cut: narrow terminals fold a wide table into
several, each repeating the key columns (the customer), and only names are shortened.

A report table has key columns (``customer_id``, printed in every part), at most one column that may be
shortened (a name, with an ellipsis), and the rest, shown whole: amounts, days, dates, codes. When the whole
table does not fit the console's width, its columns are split into consecutive parts that do, printed one under
the other with the same rows; a part's title says which columns continue. Imported by the commands that print,
when they run (``arxl --help`` stays quick).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

COLUMN_OVERHEAD = 3
"""Characters a column costs beyond its text: padding either side and a rule."""
NAME_MINIMUM = 10
"""Narrowest a shortened name gets before the table is split instead."""


@dataclass(frozen=True)
class Column:
    """One column: its header, whether it holds figures (right-aligned), whether it repeats in every part of a
    split table (``key``), and whether it may be shortened to fit (``shorten``)."""

    header: str
    numeric: bool = False
    key: bool = False
    shorten: bool = False


def _natural(column: Column, cells: Sequence[str]) -> int:
    longest = max((len(cell) for cell in cells), default=0)
    header = len(column.header) if column.shorten or not column.numeric else max(
        (len(word) for word in column.header.split()), default=0)
    return max(longest, header, 1)


def parts(columns: Sequence[Column], widths: Sequence[int], available: int) -> list[list[int]]:
    """The columns of each part of the table (indexes), so that every part fits ``available`` characters with
    its key columns, its shortened column at least ``NAME_MINIMUM`` wide and every other column whole."""
    keys = [index for index, column in enumerate(columns) if column.key]
    shortened = [index for index, column in enumerate(columns) if column.shorten]

    def cost(indexes: Sequence[int]) -> int:
        return sum((min(widths[i], NAME_MINIMUM) if columns[i].shorten else widths[i]) + COLUMN_OVERHEAD
                   for i in indexes) + 1

    rest = [index for index in range(len(columns)) if index not in keys and index not in shortened]
    if cost(range(len(columns))) <= available:
        return [list(range(len(columns)))]
    groups: list[list[int]] = []
    current = [*keys, *shortened]
    for index in rest:
        if cost([*current, index]) > available and len(current) > len(keys) + len(shortened) * (not groups):
            groups.append(current)
            current = list(keys)
        current.append(index)
    groups.append(current)
    return [sorted(group) for group in groups]


def print_table(console: Console, columns: Sequence[Column], rows: Sequence[Sequence[str]], *, title: str = "",
                totals: Sequence[Sequence[str]] = ()) -> None:
    """Print ``rows`` (and ``totals`` under a rule, in bold) as one table, or as several parts when the console
    is too narrow for every figure in full (see the module docstring)."""
    from rich.table import Table

    every = [*rows, *totals]
    widths = [_natural(column, [row[index] for row in every]) for index, column in enumerate(columns)]
    groups = parts(columns, widths, console.width)
    for number, group in enumerate(groups):
        caption = title
        if len(groups) > 1:
            caption = f"{title or 'Table'} (part {number + 1} of {len(groups)})"
        table = Table(title=caption or None, header_style="bold", title_justify="left")
        fixed = sum(widths[i] + COLUMN_OVERHEAD for i in group if not columns[i].shorten) + 1
        for index in group:
            column = columns[index]
            if column.shorten:
                room = max(console.width - fixed - COLUMN_OVERHEAD, NAME_MINIMUM)
                table.add_column(column.header, no_wrap=True, overflow="ellipsis", max_width=room)
            else:
                table.add_column(column.header, justify="right" if column.numeric else "left", no_wrap=True,
                                 min_width=widths[index], overflow="fold")
        for position, row in enumerate(rows):
            table.add_row(*(row[index] for index in group), end_section=position == len(rows) - 1 and bool(totals))
        for row in totals:
            table.add_row(*(row[index] for index in group), style="bold")
        console.print(table)
