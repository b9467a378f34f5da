"""Report frames -> sheet specs: what each generated sheet shows and how it is laid out and formatted.

Pure: takes the engine's frames and dataclasses, returns ``arxl.render.spec.SheetSpec``. Money arrives in minor
units and leaves as major-unit floats (exact for any amount an AR ledger holds); every total that a reader may
want to audit is a live formula whose cached value is the figure arxl computed.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd

from ..aging import TOTAL, UNAPPLIED, AgingReport
from ..excel import column_letter, quoted
from ..groups import aging_by_group, group_of, shown
from ..instalments import item_labels
from ..ledger import Ledger
from ..metrics import Metrics
from ..money import to_major_float, to_major_floats
from ..ownership import statement_key
from .spec import (
    Block,
    Cell,
    Chart,
    ConditionalFill,
    PageSetup,
    Series,
    SheetSpec,
)

BUCKET_COLORS = ("70AD47", "FFC000", "ED7D31", "C55A11", "C00000", "7B0000", "4D0000")
TITLE_ROWS = 3  # title, subtitle, blank


def title_cells(ledger: Ledger, heading: str, as_of: dt.date, extra: str = "") -> dict[tuple[int, int], Cell]:
    subtitle = f"{heading} as of {as_of.isoformat()}"
    if extra:
        subtitle += f" · {extra}"
    return {(1, 1): Cell(ledger.settings.company_name, "title"), (2, 1): Cell(subtitle, "subtitle")}


def _column_range(column: str, first: int, last: int) -> str:
    return f"{column}{first}:{column}{last}"


def basis_text(basis: str) -> str:
    return "aged by due date" if basis == "due" else "aged by invoice date"


# --- Aging ----------------------------------------------------------------------------------------------------

def aging_sheet(ledger: Ledger, report: AgingReport, *, top_chart: int = 15) -> SheetSpec:
    """Per-customer buckets, Unapplied, Total, share and credit limit; totals as live formulas; a bucket chart."""
    summary = report.summary.sort_values(["currency", "customer_id"], kind="stable").reset_index(drop=True)
    labels = [*report.labels, UNAPPLIED, TOTAL]
    currencies = summary["currency"]
    frame = pd.DataFrame({"Customer ID": summary["customer_id"], "Customer": summary["name"],
                          "Currency": currencies})
    for label in labels:
        frame[label] = to_major_floats(summary[label], currencies)
    frame["Share"] = summary["share"].astype("float64")
    frame["Credit limit"] = to_major_floats(summary["credit_limit"].astype("float64"), currencies)
    frame["Headroom"] = to_major_floats(summary["headroom"].astype("float64"), currencies)
    styles: tuple[str, ...] = ("text", "text", "text", *(["money"] * len(labels)), "percent", "money", "money")
    by = ledger.settings.aging_group_by
    if by:
        frame[by.capitalize()] = [shown(value) for value in group_of(ledger, summary["customer_id"], by)]
        styles = (*styles, "text")
    header_row = TITLE_ROWS + 1
    first, last = header_row + 1, header_row + max(len(frame), 1)
    cells = title_cells(ledger, "Aged receivables", report.as_of, basis_text(report.basis))
    block = Block(header_row, 1, frame, styles, table_name="arxl_Aging")
    # Totals: one row per currency, SUMIFS over the table's rows, cached with arxl's own sums.
    total_row = last + 2
    money_columns = range(4, 4 + len(labels))
    for offset, currency in enumerate(sorted(set(currencies)) or [ledger.settings.reporting_currency]):
        row = total_row + offset
        cells[(row, 1)] = Cell("Total", "total_label")
        cells[(row, 2)] = Cell("", "total_label")
        cells[(row, 3)] = Cell(currency, "total_label")
        rows = summary["currency"] == currency
        for column, label in zip(money_columns, labels, strict=True):
            letter = column_letter(column)
            cached = to_major_float(summary.loc[rows, label].sum(), currency)
            formula = f'SUMIFS({_column_range(letter, first, last)},$C${first}:$C${last},"{currency}")'
            cells[(row, column)] = Cell(cached, "total_money", formula=formula)
    widths = {1: 13, 2: 30, 3: 9, **{column: 14 for column in money_columns}}
    share_column = 4 + len(labels)
    widths.update({share_column: 8, share_column + 1: 14, share_column + 2: 14})
    after_totals = total_row + len(set(currencies) or {""})
    if by:
        widths[share_column + 3] = 18
        after_totals = _group_subtotals(cells, ledger, report, by, after_totals + 1, first, last,
                                        column_letter(share_column + 3), labels)
    old = [column_letter(4 + index) for index in range(len(report.labels) - 2, len(report.labels))]
    conditional = tuple(ConditionalFill(_column_range(letter, first, last), "FFC7CE", "9C0006") for letter in old)
    charts: tuple[Chart, ...] = ()
    if len(frame):
        # The chart shows the largest balances: a small helper block to the right, sorted by Total.
        top = summary.sort_values(TOTAL, ascending=False, kind="stable").head(top_chart)
        helper_left = share_column + (5 if by else 4)
        helper = pd.DataFrame({"Top customers": top["name"].where(top["name"] != "", top["customer_id"])})
        for label in report.labels:
            helper[label] = to_major_floats(top[label], top["currency"])
        helper_block = Block(header_row, helper_left, helper.reset_index(drop=True),
                             ("text", *(["money"] * len(report.labels))))
        helper_first, helper_last = header_row + 1, header_row + len(helper)
        sheet = quoted("Aging")
        helper_letter = column_letter(helper_left)
        categories = f"{sheet}!${helper_letter}${helper_first}:${helper_letter}${helper_last}"
        series = tuple(
            Series(label, f"{sheet}!${column_letter(helper_left + 1 + index)}${helper_first}:"
                          f"${column_letter(helper_left + 1 + index)}${helper_last}", BUCKET_COLORS[index % 7])
            for index, label in enumerate(report.labels))
        chart_top = after_totals + 2
        charts = (Chart("bar_stacked", "Largest balances by age", categories, series, (chart_top, 1),
                        (chart_top + 22, 10)),)
        widths[helper_left] = 26
        widths.update({helper_left + 1 + index: 12 for index in range(len(report.labels))})
        blocks: tuple[Block, ...] = (block, helper_block)
    else:
        blocks = (block,)
        cells[(first, 1)] = Cell("No open items at this date.", "subtitle")
    return SheetSpec("Aging", cells=cells, blocks=blocks, widths=widths, freeze=(header_row + 1, 3),
                     conditional=conditional, charts=charts, tab_color="1F4E78",
                     page=PageSetup(landscape=True, title_rows=(header_row, header_row)))


def _criterion(value: str) -> str:
    """An exact-match SUMIFS criterion for a text, as a formula string literal: ``="A~*B"`` for ``A*B``."""
    escaped = value.replace("~", "~~").replace("*", "~*").replace("?", "~?").replace('"', '""')
    return f'"={escaped}"'


def _group_subtotals(cells: dict[tuple[int, int], Cell], ledger: Ledger, report: AgingReport, by: str, top: int,
                     first: int, last: int, group_letter: str, labels: list[str]) -> int:
    """Subtotals of the Aging table by Settings ``aging_group_by``: one row per (value, currency) from ``top``,
    each a live SUMIFS over the table's rows whose cached value is ``arxl.groups.aging_by_group``'s figure.
    Returns the last row used."""
    cells[(top, 1)] = Cell(f"Subtotals by {by}", "label")
    grouped = aging_by_group(ledger, report, by)
    row = top
    for record in grouped.to_dict("records"):
        row += 1
        value, currency = shown(str(record[by])), str(record["currency"])
        cells[(row, 1)] = Cell(value, "label")
        cells[(row, 2)] = Cell(f"{int(record['customers'])} customer(s)")
        cells[(row, 3)] = Cell(currency)
        for offset, label in enumerate(labels):
            letter = column_letter(4 + offset)
            groups = f"${group_letter}${first}:${group_letter}${last}"
            formula = (f"SUMIFS({_column_range(letter, first, last)},{groups},{_criterion(value)},"
                       f'$C${first}:$C${last},"{currency}")')
            cells[(row, 4 + offset)] = Cell(to_major_float(int(record[label]), currency), "money_bold",
                                            formula=formula)
    return row


# --- Aging Detail ---------------------------------------------------------------------------------------------

def aging_detail_sheet(ledger: Ledger, report: AgingReport, last_payment: pd.Series,
                       disputes: pd.DataFrame | None = None) -> SheetSpec:
    """Every open item: dates, days past due, bucket, status, amounts and the last payment applied to it; with
    ``disputes`` (``arxl.receivables.dispute_details``) the days in dispute and the reason of each open
    Activity dispute."""
    detail = report.detail
    if disputes is None or disputes.empty:
        opened = np.full(len(detail), np.datetime64("NaT"), dtype="datetime64[s]")
        reason = np.full(len(detail), "", dtype=object)
    else:
        keyed = disputes.set_index(["customer_id", "invoice_id"])
        keys = pd.MultiIndex.from_arrays([detail["customer_id"].to_numpy(dtype=object),
                                          detail["document_id"].to_numpy(dtype=object)])
        opened = keyed["opened"].reindex(keys).to_numpy(dtype="datetime64[s]")
        reason = keyed["reason"].reindex(keys).fillna("").to_numpy(dtype=object)
    in_dispute = (np.datetime64(report.as_of, "D") - opened.astype("datetime64[D]")).astype("timedelta64[D]")
    names = ledger.customers.set_index("customer_id")["name"]
    currencies = detail["currency"]
    frame = pd.DataFrame({
        "Customer ID": detail["customer_id"],
        "Customer": detail["customer_id"].map(names).fillna(""),
        "Document": pd.Series(item_labels(detail["document_id"], detail["instalment"]), index=detail.index,
                              dtype="str"),
        "Kind": detail["kind"].str.replace("_", " "),
        "Date": detail["document_date"],
        "Due date": detail["due_date"],
        "Days past due": detail["days_past_due"].astype("int64"),
        "Bucket": detail["bucket"],
        "Status": detail["status"],
        "Currency": currencies,
        "Original": to_major_floats(detail["original"], currencies),
        "Open amount": to_major_floats(detail["open_amount"], currencies),
        "Last payment": last_payment.astype("datetime64[s]").reindex(detail["document_id"].to_numpy())
                                    .to_numpy(dtype="datetime64[s]"),
        "Reference": detail["reference"],
        "Days in dispute": np.where(np.isnat(in_dispute), np.nan, in_dispute.astype(np.int64)),
        "Dispute reason": pd.Series(reason, dtype="str"),
    })
    styles = ("text", "text", "text", "text", "date", "date", "integer", "text", "text", "text", "money",
              "money", "date", "text", "integer", "text")
    header_row = TITLE_ROWS + 1
    cells = title_cells(ledger, "Open items", report.as_of, basis_text(report.basis))
    widths = {1: 13, 2: 28, 3: 14, 4: 11, 5: 11, 6: 11, 7: 9, 8: 10, 9: 9, 10: 9, 11: 14, 12: 14, 13: 12, 14: 30,
              15: 10, 16: 36}
    return SheetSpec("Aging Detail", cells=cells, blocks=(Block(header_row, 1, frame, styles,
                                                                  table_name="arxl_AgingDetail"),),
                     widths=widths, heights={header_row: 30.0}, freeze=(header_row + 1, 4), tab_color="2E75B6",
                     page=PageSetup(landscape=True, title_rows=(header_row, header_row)))


# --- Dashboard ------------------------------------------------------------------------------------------------

def dashboard_sheet(ledger: Ledger, report: AgingReport, metrics: Metrics, series: pd.DataFrame,
                    top_overdue: pd.DataFrame) -> SheetSpec:
    """KPIs, the 12-month AR and DSO chart, the ten largest overdue customers and the bucket totals."""
    currency = metrics.currency
    cells = title_cells(ledger, "Receivables dashboard", metrics.as_of,
                   f"{currency} · DSO period {metrics.period_days} days")
    receivable = report.detail["open_amount"].clip(lower=0)
    overdue = receivable[report.detail["days_past_due"] > 0].sum()
    overdue_share = float(overdue / receivable.sum()) if receivable.sum() else None
    kpis = [
        ("Total AR", to_major_float(metrics.ar, currency), "kpi_money"),
        ("Overdue share", overdue_share, "kpi_percent"),
        ("DSO (average)", metrics.dso, "kpi"),
        ("DSO (countback)", metrics.dso_countback, "kpi"),
        ("Best possible DSO", metrics.bpdso, "kpi"),
        ("Average days delinquent", metrics.add, "kpi"),
        ("CEI %", metrics.cei, "kpi"),
        ("AR turnover (period)", metrics.turnover, "kpi"),
    ]
    for index, (label, value, style) in enumerate(kpis):
        row = 4 + (index // 4) * 3
        column = 1 + (index % 4) * 3
        cells[(row, column)] = Cell(label, "label")
        cells[(row + 1, column)] = Cell(value if value is not None else "n/a", style)

    series_top = 11
    months = pd.DataFrame({
        "Month end": pd.to_datetime(series["month_end"]).dt.strftime("%Y-%m-%d"),
        f"AR ({currency})": to_major_floats(series["ar"], currency),
        f"Credit sales ({currency})": to_major_floats(series["credit_sales"], currency),
        "DSO": series["dso"].astype("float64"),
    })
    series_block = Block(series_top, 14, months, ("text", "money", "money", "decimal"))
    first, last = series_top + 1, series_top + len(months)
    sheet = quoted("Dashboard")
    ar_chart = Chart("column", "AR and DSO, last 12 months", f"{sheet}!$N${first}:$N${last}",
                     (Series(f"AR ({currency})", f"{sheet}!$O${first}:$O${last}", "1F4E78"),),
                     (11, 1), (27, 12),
                     secondary=(Series("DSO", f"{sheet}!$Q${first}:$Q${last}", "C00000"),))

    buckets_top = series_top + len(months) + 3
    totals = pd.DataFrame({"Bucket": [*report.labels, UNAPPLIED],
                           f"Amount ({currency})": [
                               to_major_float(report.summary[label].sum(), currency)
                               for label in [*report.labels, UNAPPLIED]]})
    bucket_block = Block(buckets_top, 14, totals, ("text", "money"))
    buckets_last = buckets_top + len(report.labels)
    bucket_chart = Chart("column", "AR by age", f"{sheet}!$N${buckets_top + 1}:$N${buckets_last}",
                         (Series("Amount", f"{sheet}!$O${buckets_top + 1}:$O${buckets_last}",
                                 "2E75B6"),), (29, 1), (45, 12))

    top_row = 47
    cells[(top_row, 1)] = Cell("Ten largest overdue balances", "label")
    top = pd.DataFrame({
        "Customer ID": top_overdue["customer_id"],
        "Customer": top_overdue["name"],
        f"Overdue ({currency})": to_major_floats(top_overdue["overdue"], currency),
        "Oldest days past due": top_overdue["oldest_days"].astype("int64"),
        f"Total ({currency})": to_major_floats(top_overdue["total"], currency),
    })
    top_block = Block(top_row + 1, 1, top, ("text", "text", "money", "integer", "money"))
    blocks = [series_block, bucket_block, top_block]
    by = ledger.settings.aging_group_by
    if by:
        group_top = top_row + len(top) + 3
        cells[(group_top, 1)] = Cell(f"AR by {by}", "label")
        blocks.append(Block(group_top + 1, 1, _group_totals(ledger, report, by),
                            ("text", "text", "integer", "money", "money", "money", "money")))
    widths = {column: 14 for column in range(1, 18)}
    widths.update({1: 16, 2: 28, 4: 18, 7: 18, 10: 18, 14: 12})
    return SheetSpec("Dashboard", cells=cells, blocks=tuple(blocks),
                     widths=widths, charts=(ar_chart, bucket_chart), tab_color="C00000",
                     page=PageSetup(landscape=True))


def _group_totals(ledger: Ledger, report: AgingReport, by: str) -> pd.DataFrame:
    """The Dashboard's AR by group: customers, current, overdue (every day bucket after Current), unapplied and
    total per (group value, currency), in major units."""
    grouped = aging_by_group(ledger, report, by)
    currencies = grouped["currency"]
    overdue = grouped[report.labels[1:]].to_numpy(dtype="int64").sum(axis=1)
    return pd.DataFrame({
        by.capitalize(): [shown(value) for value in grouped[by]],
        "Currency": currencies,
        "Customers": grouped["customers"].astype("int64"),
        "Current": to_major_floats(grouped[report.labels[0]], currencies),
        "Overdue": to_major_floats(pd.Series(overdue), currencies),
        UNAPPLIED: to_major_floats(grouped[UNAPPLIED], currencies),
        TOTAL: to_major_floats(grouped[TOTAL], currencies),
    })


def top_overdue_customers(ledger: Ledger, report: AgingReport, count: int = 10) -> pd.DataFrame:
    """The customers with the largest overdue amounts (reporting currency where converted)."""
    detail = report.detail
    overdue = detail[(detail["open_amount"] > 0) & (detail["days_past_due"] > 0)]
    grouped = overdue.groupby("customer_id").agg(overdue=("open_amount", "sum"),
                                                 oldest_days=("days_past_due", "max")).reset_index()
    totals = report.summary.groupby("customer_id")[TOTAL].sum()
    grouped["total"] = grouped["customer_id"].map(totals).fillna(0).astype("int64")
    names = ledger.customers.set_index("customer_id")["name"]
    grouped["name"] = grouped["customer_id"].map(names).fillna("")
    return grouped.sort_values(["overdue", "customer_id"], ascending=[False, True]).head(count)


# --- Checks ---------------------------------------------------------------------------------------------------

def checks_sheet(ledger: Ledger, as_of: dt.date, checks: pd.DataFrame) -> SheetSpec:
    """Each invariant as a row: its figures, the difference and PASS/FAIL (beancount's balance assertions)."""
    cells = title_cells(ledger, "Checks", as_of, "every figure arxl reports must reconcile")
    header_row = TITLE_ROWS + 1
    frame = pd.DataFrame({
        "Check": checks["check"],
        "Scope": checks["scope"],
        "Expected": checks["expected"].astype("float64"),
        "Actual": checks["actual"].astype("float64"),
        "Difference": checks["difference"].astype("float64"),
        "Result": checks["result"],
        "Explanation": checks["explanation"],
    })
    results = ["pass" if result == "PASS" else "fail" for result in frame["Result"]]
    block = Block(header_row, 1, frame, ("text", "text", "money", "money", "money", results, "wrap"),
                  table_name="arxl_Checks")
    failed = int((frame["Result"] != "PASS").sum())
    cells[(2, 1)] = Cell(f"Checks as of {as_of.isoformat()} · {len(frame) - failed} passed, {failed} failed",
                         "subtitle")
    return SheetSpec("Checks", cells=cells, blocks=(block,),
                     widths={1: 44, 2: 16, 3: 16, 4: 16, 5: 14, 6: 9, 7: 70}, freeze=(header_row + 1, 1),
                     tab_color="70AD47", page=PageSetup(landscape=True, title_rows=(header_row, header_row)))


_BAD_SHEET_CHARACTERS = re.compile(r"[\[\]:*?/\\]")


def statement_sheet_name(customer_id: str, taken: set[str], prefix: str = "ST ") -> str:
    """``ST <customer_id>`` (or another ``prefix``) made a legal, unique sheet name (31 characters, no
    []:*?/\\)."""
    base = prefix + _BAD_SHEET_CHARACTERS.sub("_", customer_id).strip("'")
    name = base[:31]
    counter = 2
    while name.casefold() in taken:
        suffix = f"~{counter}"
        name = base[:31 - len(suffix)] + suffix
        counter += 1
    taken.add(name.casefold())
    return name


# --- Statements -----------------------------------------------------------------------------------------------

STATEMENT_ITEM_HEADER_ROW = 11


def statement_sheets(ledger: Ledger, report: AgingReport) -> list[SheetSpec]:
    """One print-ready open-item statement per customer with a non-zero balance (``ST <customer_id>``)."""
    detail = report.detail
    if detail.empty:
        return []
    totals = detail.groupby("customer_id")["open_amount"].sum()
    customers = ledger.customers.drop_duplicates("customer_id").set_index("customer_id")
    taken: set[str] = set()
    sheets = []
    for customer_id, items in detail.groupby("customer_id", sort=True):
        if totals.get(customer_id, 0) == 0 and items["open_amount"].abs().sum() == 0:
            continue
        if all(items.groupby("currency")["open_amount"].sum() == 0):
            continue
        customer = customers.loc[customer_id] if customer_id in customers.index else None
        name = statement_sheet_name(str(customer_id), taken)
        sheets.append(statement_sheet(ledger, report, str(customer_id), customer, items, name))
    return sheets


def statement_sheet(ledger: Ledger, report: AgingReport, customer_id: str, customer: pd.Series | None,
                    items: pd.DataFrame, sheet_name: str) -> SheetSpec:
    settings = ledger.settings
    cells: dict[tuple[int, int], Cell] = {
        (1, 1): Cell(settings.company_name, "title"),
        (1, 6): Cell("STATEMENT", "title"),
    }
    for offset, line in enumerate(settings.company_address.splitlines()[:3], start=2):
        cells[(offset, 1)] = Cell(line)
    cells[(1, 6)] = Cell("STATEMENT", "title")
    cells[(2, 6)] = Cell("Statement date", "label")
    cells[(2, 8)] = Cell(report.as_of, "date")
    cells[(3, 6)] = Cell("Customer ID", "label")
    cells[(3, 8)] = Cell(customer_id)
    bill_to = [] if customer is None else [str(customer["name"]), *str(customer["address"]).splitlines(),
                                           str(customer["email"])]
    cells[(6, 1)] = Cell("Bill to", "label")
    for offset, line in enumerate([line for line in bill_to if line][:5]):
        cells[(6 + offset, 2)] = Cell(line)
    items = items.sort_values(["currency", "document_date", "document_id"], kind="stable")
    currencies = items["currency"]
    frame = pd.DataFrame({
        "Date": items["document_date"],
        "Document": pd.Series(item_labels(items["document_id"], items["instalment"]), index=items.index,
                              dtype="str"),
        "Type": items["kind"].str.replace("_", " "),
        "Due date": items["due_date"],
        "Days past due": np.where(items["open_amount"] > 0, items["days_past_due"].clip(lower=0), 0
                                  ).astype("int64"),
        "Currency": currencies,
        "Original": to_major_floats(items["original"], currencies),
        "Fees, interest and credits": to_major_floats(items["adjusted"], currencies),
        "Open amount": to_major_floats(items["open_amount"], currencies),
    })
    header_row = STATEMENT_ITEM_HEADER_ROW
    heights: dict[int, float] = {header_row: 30.0}
    block = Block(header_row, 1, frame.reset_index(drop=True),
                  ("date", "text", "text", "date", "integer", "text", "money", "money", "money"))
    first, last = header_row + 1, header_row + len(frame)
    row = last + 2
    labels = [*report.labels, UNAPPLIED]
    for currency, group in items.groupby("currency", sort=True):
        cells[(row, 1)] = Cell(f"Aging ({currency})", "label")
        for offset, label in enumerate([*labels, "Total due"]):
            cells[(row, 2 + offset)] = Cell(label, "header")
        buckets = [int(group.loc[(group["bucket"] == label), "open_amount"].abs().sum()) for label in labels]
        total = int(group["open_amount"].sum())
        for offset, amount in enumerate(buckets):
            cells[(row + 1, 2 + offset)] = Cell(to_major_float(amount, currency), "money")
        mask_rows = [first + index for index, code in enumerate(items["currency"]) if code == currency]
        formula = (f"SUMIFS(I{first}:I{last},F{first}:F{last},\"{currency}\")" if mask_rows else "0")
        cells[(row + 1, 2 + len(labels))] = Cell(to_major_float(total, currency), "total_money",
                                                 formula=formula)
        row += 3
    cells[(row, 1)] = Cell(settings.statement_message, "subtitle")
    merges = []
    if settings.payment_instructions:
        cells[(row + 1, 1)] = Cell("How to pay", "label")
        cells[(row + 1, 2)] = Cell(settings.payment_instructions, "wrap")
        merges.append(f"B{row + 1}:I{row + 1}")
        lines = max(1, len(settings.payment_instructions) // 80 + 1)
        heights[row + 1] = 15.0 * lines
    row += 3
    cells[(row, 1)] = Cell("✂  Please return this part with your payment", "cut")
    for column in range(2, 10):
        cells[(row, column)] = Cell("", "cut")
    remittance = [("Remit to", settings.company_name), ("Customer ID", customer_id),
                  ("Customer", "" if customer is None else str(customer["name"])),
                  ("Statement date", report.as_of)]
    for offset, (label, value) in enumerate(remittance, start=1):
        cells[(row + offset, 1)] = Cell(label, "label")
        cells[(row + offset, 2)] = Cell(value, "date" if isinstance(value, dt.date) else "text")
    due_row = row + len(remittance) + 1
    for currency, group in items.groupby("currency", sort=True):
        cells[(due_row, 1)] = Cell(f"Amount due ({currency})", "label")
        cells[(due_row, 2)] = Cell(to_major_float(int(group["open_amount"].sum()), currency),
                                   "money_bold")
        due_row += 1
    cells[(due_row, 1)] = Cell("Amount enclosed", "label")
    cells[(due_row, 2)] = Cell("", "total_label")
    widths = {1: 19, 2: 16, 3: 12, 4: 12, 5: 10, 6: 9, 7: 14, 8: 14, 9: 14}
    footer = "&L" + sheet_name.replace("&", "&&") + "&RPage &P of &N"
    return SheetSpec(sheet_name, key=statement_key(customer_id), cells=cells, blocks=(block,), widths=widths,
                     merges=tuple(merges),
                     heights=heights, page=PageSetup(title_rows=(header_row, header_row), footer=footer),
                     freeze=None)
