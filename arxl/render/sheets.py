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
from ..fx import to_reporting_currency
from ..groups import aging_by_group, group_of, shown
from ..instalments import item_labels
from ..ledger import Ledger
from ..metrics import Metrics
from ..money import to_major_float, to_major_floats
from .layout import settings_date
from .spec import (
    RULE,
    Block,
    Cell,
    Chart,
    ConditionalFill,
    PageSetup,
    Series,
    SheetSpec,
)
from .statement import statement_sheet

BUCKET_COLORS = ("70AD47", "FFC000", "ED7D31", "C55A11", "C00000", "7B0000", "4D0000")
TITLE_ROWS = 3  # title, subtitle, blank


def title_cells(ledger: Ledger, heading: str, as_of: dt.date, extra: str = "") -> dict[tuple[int, int], Cell]:
    """The company (row 1) and what the sheet is as of when (row 2); ``layout.finish`` repeats them on every
    printed page."""
    subtitle = f"{heading} as of {settings_date(ledger.settings, as_of)}"
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
    widths: dict[int, float] = {}
    share_column = 4 + len(labels)
    after_totals = total_row + len(set(currencies) or {""})
    if by:
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
        chart_bottom = chart_top + 22
        shown_currencies = sorted(set(top["currency"]))
        unit = f" ({shown_currencies[0]})" if len(shown_currencies) == 1 else ""
        charts = (Chart("bar_stacked", "Largest balances by age", categories, series, (chart_top, 1),
                        (chart_bottom, 10), category_title="Customer", value_title=f"Open balance{unit}"),)
        blocks: tuple[Block, ...] = (block, helper_block)
    else:
        blocks = (block,)
        cells[(first, 1)] = Cell("No open items at this date.", "subtitle")
        chart_bottom = total_row + 1
    # The chart's helper block sits right of the report and is left out of the printed page.
    print_area = f"$A$1:${column_letter(share_column + 2)}${chart_bottom}"
    return SheetSpec("Aging", cells=cells, blocks=blocks, widths=widths, freeze=(header_row + 1, 3),
                     conditional=conditional, charts=charts, tab_color="1F4E78",
                     page=PageSetup(landscape=True, title_rows=(header_row, header_row), print_area=print_area))


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
    """Every open item: dates, days past due, bucket, status, how the open amount came about (original +
    adjustments + applied = open amount) and the last payment applied to it; each customer's total on its
    last line (under a rule), and a grand total per currency below the table that ties to the Aging sheet. With
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
    open_minor = detail["open_amount"].to_numpy(dtype=np.int64)
    # Items arrive by customer and currency (the settlement's order): a group's last row carries its total.
    group = (detail["customer_id"].astype("str") + "\x1f" + currencies.astype("str")).to_numpy(dtype=object)
    last_of_group = np.ones(len(detail), dtype=bool)
    if len(detail) > 1:
        last_of_group[:-1] = group[1:] != group[:-1]
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]]) if len(detail) else np.array([], dtype=np.int64)
    group_totals = np.add.reduceat(open_minor, starts) if len(detail) else np.array([], dtype=np.int64)
    customer_total = np.full(len(detail), np.nan)
    customer_total[last_of_group] = to_major_floats(pd.Series(group_totals), currencies[last_of_group]
                                                    .reset_index(drop=True))
    reference = detail["po_number"].where(detail["po_number"] != "", detail["reference"])
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
        "Adjustments": to_major_floats(detail["adjusted"], currencies),
        "Applied": to_major_floats(detail["applied"], currencies),
        "Open amount": to_major_floats(detail["open_amount"], currencies),
        "Last payment": last_payment.astype("datetime64[s]").reindex(detail["document_id"].to_numpy())
                                    .to_numpy(dtype="datetime64[s]"),
        "Reference": reference,
        "Customer total": customer_total,
        "Days in dispute": np.where(np.isnat(in_dispute), np.nan, in_dispute.astype(np.int64)),
        "Dispute reason": pd.Series(reason, dtype="str"),
    })
    column_styles = ("text", "text", "text", "text", "date", "date", "integer", "text", "text", "text", "money",
                     "money", "money", "money", "date", "text", "money_bold", "integer", "text")
    ruled = np.where(last_of_group, RULE, "")
    styles = tuple(pd.Series(np.char.add(style, ruled.astype(str)), dtype=object) for style in column_styles)
    header_row = TITLE_ROWS + 1
    first, last = header_row + 1, header_row + max(len(frame), 1)
    cells = title_cells(ledger, "Open items", report.as_of,
                        f"{basis_text(report.basis)} · original + adjustments + applied = open amount")
    if len(frame):
        money = {frame.columns.get_loc(label) + 1: detail[source] for label, source in
                 (("Original", "original"), ("Adjustments", "adjusted"), ("Applied", "applied"),
                  ("Open amount", "open_amount"))}
        currency_column = frame.columns.get_loc("Currency") + 1
        row = last + 2
        for currency in sorted(set(currencies)):
            cells[(row, 1)] = Cell(f"Total {currency}", "total_label")
            for column in range(2, currency_column + 1):
                cells[(row, column)] = Cell("", "total_label")
            in_currency = (currencies == currency).to_numpy()
            for column, minor in money.items():
                letter = column_letter(column)
                cached = to_major_float(int(minor.to_numpy()[in_currency].sum()), currency)
                criteria = f"${column_letter(currency_column)}${first}:${column_letter(currency_column)}${last}"
                cells[(row, column)] = Cell(cached, "total_money",
                                            formula=f'SUMIFS({letter}{first}:{letter}{last},{criteria},"{currency}")')
            row += 1
    else:
        cells[(first, 1)] = Cell("No open items at this date.", "subtitle")
    return SheetSpec("Aging Detail", cells=cells, blocks=(Block(header_row, 1, frame, styles,
                                                                  table_name="arxl_AgingDetail"),),
                     freeze=(header_row + 1, 4), tab_color="2E75B6",
                     page=PageSetup(landscape=True, title_rows=(header_row, header_row)))


# --- Dashboard ------------------------------------------------------------------------------------------------

def dashboard_sheet(ledger: Ledger, report: AgingReport, metrics: Metrics | None, series: pd.DataFrame,
                    top_overdue: pd.DataFrame, *, why_not: str | None = None) -> SheetSpec:
    """KPIs, the 12-month AR and DSO chart, the ten largest overdue customers and the bucket totals.

    The charts' figures sit in two small tables right of the printed page (columns N to Q): the print area
    holds the KPIs, the charts and the top-ten table only. ``metrics`` is None when the amounts cannot be added
    up in the reporting currency (a currency without an exchange rate in force: ``why_not`` says which): the
    figures that need it show n/a or stay blank, a note under the title says why, and the top-ten table gives
    each customer's overdue amount in its own currency.
    """
    currency = ledger.settings.reporting_currency if metrics is None else metrics.currency
    period = ledger.settings.dso_period_days if metrics is None else metrics.period_days
    converted = bool((report.summary["currency"] == currency).all())
    cells = title_cells(ledger, "Receivables dashboard", report.as_of,
                        f"{currency} · DSO period {period} days")
    heights: dict[int, float] = {}
    merges: tuple[str, ...] = ()
    if why_not:
        cells[(3, 1)] = Cell(f"Not shown in {currency}: {why_not}. The Aging sheet gives the totals of each "
                             "currency.", "wrap")
        merges, heights = ("A3:L3",), {3: 45.0}
    # From the summary's buckets (converted item by item when the report is): every bucket after Current is
    # overdue; unapplied cash is not in them.
    receivable = int(report.summary[list(report.labels)].to_numpy(dtype=np.int64).sum())
    overdue = int(report.summary[list(report.labels[1:])].to_numpy(dtype=np.int64).sum())
    overdue_share = overdue / receivable if receivable and converted else None
    def figure(name: str) -> float | None:
        return None if metrics is None else getattr(metrics, name)

    kpis = [
        (f"Total AR ({currency})", None if metrics is None else to_major_float(metrics.ar, currency), "kpi_money"),
        ("Overdue share of AR", overdue_share, "kpi_percent"),
        ("DSO, average (days)", figure("dso"), "kpi"),
        ("DSO, countback (days)", figure("dso_countback"), "kpi"),
        ("Best possible DSO (days)", figure("bpdso"), "kpi"),
        ("Average days delinquent", figure("add"), "kpi"),
        ("CEI (%)", figure("cei"), "kpi"),
        (f"AR turnover ({period} days, times)", figure("turnover"), "kpi"),
    ]
    for index, (label, value, style) in enumerate(kpis):
        row = 4 + (index // 4) * 3
        column = 1 + (index % 4) * 3
        cells[(row, column)] = Cell(label, "label")
        cells[(row + 1, column)] = Cell(value if value is not None else "n/a", style)

    series_top = 11
    months = pd.DataFrame({
        "Month end": [settings_date(ledger.settings, day.date()) for day in pd.to_datetime(series["month_end"])],
        f"AR ({currency})": to_major_floats(series["ar"].to_numpy(dtype="float64", na_value=np.nan), currency),
        f"Credit sales, {period} days to month end ({currency})": to_major_floats(
            series["credit_sales"].to_numpy(dtype="float64", na_value=np.nan), currency),
        "DSO (days)": series["dso"].astype("float64"),
    })
    series_block = Block(series_top, 14, months, ("text", "money", "money", "decimal"))
    first, last = series_top + 1, series_top + len(months)
    sheet = quoted("Dashboard")
    ar_chart = Chart("column", "AR and DSO, last 12 months", f"{sheet}!$N${first}:$N${last}",
                     (Series(f"AR ({currency})", f"{sheet}!$O${first}:$O${last}", "1F4E78"),),
                     (11, 1), (27, 12),
                     secondary=(Series("DSO (days)", f"{sheet}!$Q${first}:$Q${last}", "C00000"),),
                     category_title="Month end", value_title=f"AR ({currency})", secondary_title="DSO (days)")

    buckets_top = series_top + len(months) + 3
    totals = pd.DataFrame({"Bucket": [*report.labels, UNAPPLIED],
                           f"Amount ({currency})": [
                               to_major_float(report.summary[label].sum(), currency) if converted else np.nan
                               for label in [*report.labels, UNAPPLIED]]})
    bucket_block = Block(buckets_top, 14, totals, ("text", "money"))
    buckets_last = buckets_top + len(report.labels)
    bucket_chart = Chart("column", "AR by age", f"{sheet}!$N${buckets_top + 1}:$N${buckets_last}",
                         (Series(f"Amount ({currency})", f"{sheet}!$O${buckets_top + 1}:$O${buckets_last}",
                                 "2E75B6"),), (29, 1), (45, 12),
                         category_title="Days past due", value_title=f"Amount ({currency})")

    top_row = 47
    cells[(top_row, 1)] = Cell("Ten largest overdue balances", "label")
    if converted:
        top = pd.DataFrame({
            "Customer ID": top_overdue["customer_id"],
            "Customer": top_overdue["name"],
            f"Overdue ({currency})": to_major_floats(top_overdue["overdue"], currency),
            "Oldest days past due": top_overdue["oldest_days"].astype("int64"),
            f"Total ({currency})": to_major_floats(top_overdue["total"], currency),
        })
        top_block = Block(top_row + 1, 1, top, ("text", "text", "money", "integer", "money"))
    else:
        top = pd.DataFrame({
            "Customer ID": top_overdue["customer_id"],
            "Customer": top_overdue["name"],
            "Currency": top_overdue["currency"],
            "Overdue": to_major_floats(top_overdue["overdue"], top_overdue["currency"]),
            "Oldest days past due": top_overdue["oldest_days"].astype("int64"),
            "Total": to_major_floats(top_overdue["total"], top_overdue["currency"]),
        })
        top_block = Block(top_row + 1, 1, top, ("text", "text", "text", "money", "integer", "money"))
    blocks = [series_block, bucket_block, top_block]
    last_row = max(top_row + 1 + len(top), 45)
    by = ledger.settings.aging_group_by
    if by:
        group_top = top_row + len(top) + 3
        group_totals = _group_totals(ledger, report, by)
        cells[(group_top, 1)] = Cell(f"AR by {by}", "label")
        blocks.append(Block(group_top + 1, 1, group_totals,
                            ("text", "text", "integer", "money", "money", "money", "money")))
        last_row = max(last_row, group_top + 1 + len(group_totals))
    widths = {column: 10.0 for column in range(1, 13)}
    print_area = f"$A$1:$L${last_row}"
    return SheetSpec("Dashboard", cells=cells, blocks=tuple(blocks), heights=heights, merges=merges,
                     widths=widths, charts=(ar_chart, bucket_chart), tab_color="C00000",
                     page=PageSetup(landscape=True, fit_height=1, print_area=print_area))


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
    """The customers with the largest overdue amounts, per (customer, currency): one row per customer in the
    reporting currency when the report is converted, else each currency's amounts on their own row."""
    detail = report.detail
    reporting = ledger.settings.reporting_currency
    overdue = detail[(detail["open_amount"] > 0) & (detail["days_past_due"] > 0)]
    amounts = overdue["open_amount"].to_numpy(dtype=np.int64)
    currencies = overdue["currency"].to_numpy(dtype=object).astype(str)
    if bool((report.summary["currency"] == reporting).all()) and (currencies != reporting).any():
        # a converted report: each item at the rate in force on the as-of date, as the summary converts it
        amounts = to_reporting_currency(ledger, amounts, currencies, report.as_of)
        currencies = np.full(len(amounts), reporting, dtype=object)
    items = pd.DataFrame({"customer_id": overdue["customer_id"].astype(str).to_numpy(), "currency": currencies,
                          "overdue": amounts, "oldest_days": overdue["days_past_due"].to_numpy(dtype=np.int64)})
    grouped = items.groupby(["customer_id", "currency"]).agg(
        overdue=("overdue", "sum"), oldest_days=("oldest_days", "max")).reset_index()
    totals = report.summary.groupby(["customer_id", "currency"])[TOTAL].sum()
    keys = pd.MultiIndex.from_frame(grouped[["customer_id", "currency"]])
    grouped["total"] = totals.reindex(keys).fillna(0).astype("int64").to_numpy()
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
    cells[(2, 1)] = Cell(f"Checks as of {settings_date(ledger.settings, as_of)} · {len(frame) - failed} passed, "
                         f"{failed} failed", "subtitle")
    return SheetSpec("Checks", cells=cells, blocks=(block,), widths={7: 60}, freeze=(header_row + 1, 1),
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

def statement_sheets(ledger: Ledger, report: AgingReport) -> list[SheetSpec]:
    """One print-ready open-item statement per customer with a non-zero balance (``ST <customer_id>``); the
    layout is ``arxl.render.statement``'s."""
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
