"""The blank AR workbook (``arxl new``), built from the contract with openpyxl.

Every input table sits on its own sheet as an Excel Table named like the sheet, with one empty, formatted data
row: Excel copies that row's formats and validation to every row the user adds, and ``arxl.workbook.fill``
copies its cell styles when it writes rows.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table as ExcelTable
from openpyxl.worksheet.table import TableStyleInfo

from .. import contract
from ..contract import Kind
from ..excel import column_letter

DATE_FORMAT = "yyyy-mm-dd"
ACCOUNTING_FORMAT = '_(* #,##0.00_);_(* (#,##0.00);_(* "-"??_);_(@_)'
RATE_FORMAT = "0.0000"
LAST_ROW = 1048576
HEADER_FILL = "1F4E78"



def _named_styles() -> dict[str, NamedStyle]:
    thin = Side(style="thin", color="9BC2E6")
    header = NamedStyle(name="arxl Header", font=Font(bold=True, color="FFFFFF"),
                        fill=PatternFill("solid", fgColor=HEADER_FILL),
                        alignment=Alignment(vertical="center", wrap_text=True), border=Border(bottom=thin))
    date = NamedStyle(name="arxl Date", number_format=DATE_FORMAT, alignment=Alignment(horizontal="left"))
    money = NamedStyle(name="arxl Money", number_format=ACCOUNTING_FORMAT)
    integer = NamedStyle(name="arxl Integer", number_format="0")
    rate = NamedStyle(name="arxl Rate", number_format=RATE_FORMAT)
    text = NamedStyle(name="arxl Text", number_format="@")
    title = NamedStyle(name="arxl Title", font=Font(bold=True, size=16, color=HEADER_FILL))
    return {style.name: style for style in (header, date, money, integer, rate, text, title)}


def style_for(kind: Kind) -> str:
    """The named style a column of this kind is formatted with."""
    return {
        Kind.DATE: "arxl Date", Kind.MONEY: "arxl Money", Kind.INTEGER: "arxl Integer",
        Kind.NUMBER: "arxl Rate", Kind.ID: "arxl Text", Kind.CURRENCY: "arxl Text",
    }.get(kind, "Normal")


def _validation(table: contract.Table, column: contract.Column) -> DataValidation | None:
    if column.kind is Kind.CHOICE:
        options = ",".join(choice for choice in column.choices if choice)
        return DataValidation(type="list", formula1=f'"{options}"', allow_blank=True, showErrorMessage=True,
                              errorTitle=column.name, error=f"Choose one of: {options}")
    if column.name == "customer_id" and table.name != "Customers":
        return DataValidation(type="list", formula1='INDIRECT("Customers[customer_id]")', allow_blank=True,
                              showErrorMessage=True, errorTitle="customer_id",
                              error="Use a customer_id from the Customers table.")
    if column.kind is Kind.DATE:
        return DataValidation(type="date", operator="greaterThan", formula1="1", allow_blank=True,
                              showErrorMessage=True, errorStyle="warning", errorTitle=column.name,
                              error="Type a date such as 2026-02-28.")
    if column.kind is Kind.MONEY:
        return DataValidation(type="decimal", operator="between", formula1="-1E+15", formula2="1E+15",
                              allow_blank=True, showErrorMessage=True, errorStyle="warning",
                              errorTitle=column.name, error="Type an amount such as 1234.56.")
    return None


def _add_table_sheet(book: Workbook, table: contract.Table, rows: list[list[object]]) -> None:
    sheet = book.create_sheet(table.name)
    for index, column in enumerate(table.columns, start=1):
        cell = sheet.cell(row=1, column=index, value=column.name)
        cell.style = "arxl Header"
        sheet.column_dimensions[column_letter(index)].width = max(column.width, len(column.name) + 3)
    data = rows or [[None] * len(table.columns)]
    for offset, values in enumerate(data, start=2):
        for index, (column, value) in enumerate(zip(table.columns, values, strict=True), start=1):
            cell = sheet.cell(row=offset, column=index)
            if value is not None:
                cell.value = value
                if isinstance(value, str):
                    cell.data_type = "s"  # never a formula, whatever the text starts with
            cell.style = style_for(column.kind)
            if column.name in ("address", "value", "description", "company_address"):
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    last_column = column_letter(len(table.columns))
    reference = f"A1:{last_column}{len(data) + 1}"
    excel_table = ExcelTable(displayName=table.name, ref=reference)
    excel_table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
    sheet.add_table(excel_table)
    sheet.freeze_panes = "A2"
    sheet.row_dimensions[1].height = 30
    for index, column in enumerate(table.columns, start=1):
        validation = _validation(table, column)
        if validation is not None:
            letter = column_letter(index)
            validation.add(f"{letter}2:{letter}{LAST_ROW}")
            sheet.add_data_validation(validation)
    sheet.sheet_view.zoomScale = 100


def _start_here(book: Workbook) -> None:
    sheet = book.active
    sheet.title = "Start here"
    sheet["A1"] = "arxl: Accounts Receivable workbook"
    sheet["A1"].style = "arxl Title"
    lines = [
        "Type your data into the tables on the input sheets; arxl never rewrites them.",
        "Add rows at the bottom of a table (Tab in its last cell): "
        "Excel extends the table, its formats and lists.",
        "Run `arxl check BOOK.xlsx` to list every problem, or `arxl refresh BOOK.xlsx` to rebuild the reports.",
        "Sheets that arxl generates (Aging, Dashboard, statements...) are rewritten on every refresh: "
        "keep your own work on your own sheets.",
        "",
        "Input tables",
    ]
    for offset, line in enumerate(lines, start=3):
        sheet.cell(row=offset, column=1, value=line)
    row = 3 + len(lines)
    sheet.cell(row=row - 1, column=1).font = Font(bold=True)
    for table in contract.TABLES:
        required = ", ".join(table.required)
        sheet.cell(row=row, column=1, value=table.name).font = Font(bold=True)
        sheet.cell(row=row, column=2, value=table.doc + ("" if not table.optional else " (optional)"))
        sheet.cell(row=row, column=3, value=f"required: {required}")
        row += 1
    sheet.column_dimensions["A"].width = 16
    sheet.column_dimensions["B"].width = 80
    sheet.column_dimensions["C"].width = 60


def settings_rows(overrides: dict[str, str] | None = None) -> list[list[object]]:
    """The Settings table's rows: every key with its default (or override) and its description."""
    overrides = overrides or {}
    return [[setting.key, overrides.get(setting.key, setting.default), setting.doc]
            for setting in contract.SETTING_KEYS]


def build_template(path: str | Path, *, settings: dict[str, str] | None = None,
                   include_fx: bool = False) -> Path:
    """Write a blank AR workbook to ``path`` (the caller decides about overwriting) and return the path."""
    path = Path(path)
    book = Workbook()
    for style in _named_styles().values():
        book.add_named_style(style)
    _start_here(book)
    for table in contract.TABLES:
        if table.name == "FXRates" and not include_fx:
            continue
        rows = settings_rows(settings) if table.name == "Settings" else []
        _add_table_sheet(book, table, rows)
    book.properties.creator = "arxl"
    book.properties.title = "Accounts Receivable"
    book.save(path)
    return path
