"""``arxl report ...``: the engine's figures in shapes other tools rely on (csv, json) or for people (table).

Shapes are stable: ``report aging --format csv`` has exactly the header
``customer_id,name,Current,1-30,31-60,61-90,Over 90,Unapplied,Total`` for the default edges. With ``--by
group|region|salesperson`` the csv and json give one row per group value and currency (``arxl.groups``): header
``<by>,currency,customers,<buckets>,Unapplied,Total``; the table shows the customers under their group with a
subtotal after each group and the total at the end.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .common import BY, DATE, FORMATS, as_of_or_default, handle_errors, load_or_exit, out_console

if TYPE_CHECKING:
    import pandas as pd

    from ..aging import AgingReport
    from ..ledger import Ledger


def _json_default(value: object) -> object:
    import pandas as pd

    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.date | pd.Timestamp):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def _cell_text(value: object) -> str:
    import pandas as pd

    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, Decimal):
        return f"{value:,}"
    return str(value)


def _print_frame(frame: pd.DataFrame, output_format: str, title: str = "",
                 totals: pd.DataFrame | None = None) -> None:
    """A display frame (money as Decimal, dates as date) as csv, json records or a table for people in which
    no figure is ever cut (``arxl.cli.tables``)."""
    import pandas as pd

    from ..render.plain import safe_text
    from .tables import Column, print_table

    if output_format == "json":
        records = frame.astype(object).where(frame.notna(), None).to_dict("records")
        click.echo(json.dumps(records, default=_json_default, indent=1, ensure_ascii=False))
        return
    if output_format == "csv":
        shown = frame.copy()
        for column in shown.columns:
            if shown[column].dtype == object or pd.api.types.is_string_dtype(shown[column]):
                shown[column] = shown[column].map(
                    lambda value: safe_text(value) if isinstance(value, str) else value)
        click.echo(shown.to_csv(index=False, lineterminator="\n"), nl=False)
        return
    columns = []
    for name in frame.columns:
        values = frame[name]
        numeric = bool(len(frame)) and bool(values.map(lambda value: isinstance(value, Decimal | int | float)
                                                       and not isinstance(value, bool)).all())
        columns.append(Column(str(name), numeric=numeric, key=name == "customer_id", shorten=name == "name"))
    rows = [[_cell_text(value) for value in row] for row in frame.itertuples(index=False)]
    total_rows = [] if totals is None else [[_cell_text(value) for value in row]
                                            for row in totals.itertuples(index=False)]
    print_table(out_console, columns, rows, title=title, totals=total_rows)


@click.group("report")
def report() -> None:
    """Print a report computed from the workbook (the file is not changed)."""


@report.command("aging")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--as-of", "as_of", type=DATE, default=None, help="Default: Settings as_of, else today.")
@click.option("--basis", type=click.Choice(["due", "invoice"]), default=None,
              help="Default: Settings aging_basis.")
@click.option("--buckets", default=None, metavar="30,60,90", help="Bucket edges in days. Default: Settings.")
@click.option("--by", type=BY, default=None, help="Subtotal by the customers' group, region or salesperson.")
@click.option("--format", "output_format", type=FORMATS, default="table", show_default=True)
@handle_errors
def aging_command(path: Path, as_of: dt.date | None, basis: str | None, buckets: str | None, by: str | None,
                  output_format: str) -> None:
    """Aged receivables per customer: buckets, Unapplied and Total (= buckets - Unapplied).

    \b
    Example:  arxl report aging ar.xlsx --as-of 2026-06-30 --buckets 30,60,90,120 --format csv
              arxl report aging ar.xlsx --by salesperson --format csv
    """
    import pandas as pd

    from ..aging import TOTAL, UNAPPLIED, aging, parse_edges
    from ..fx import convertible
    from ..render.plain import aging_csv, open_items_frame

    edges = None
    if buckets is not None:
        try:
            edges = parse_edges(buckets)
        except ValueError as exc:
            raise click.BadParameter(f"{buckets!r}: {exc}", param_hint="--buckets") from exc
    ledger = load_or_exit(path)
    date = as_of_or_default(ledger, as_of)
    result = aging(ledger, date, basis=basis, edges=edges, convert=convertible(ledger, date))
    if by is not None:
        _aging_by(ledger, result, by, output_format, date)
        return
    if output_format == "csv":
        click.echo(aging_csv(result.summary, result.labels, ledger), nl=False)
        return
    columns = ["customer_id", "name", "currency", *result.labels, UNAPPLIED, TOTAL]
    summary = result.summary[columns].copy()
    shown = open_items_frame(summary.assign(**{label: summary[label] for label in columns[3:]}), None)
    for label in columns[3:]:
        shown[label] = [Decimal(int(value)).scaleb(-_digits(code)) for value, code in
                        zip(summary[label], summary["currency"], strict=True)]
    if output_format == "json":
        _print_frame(shown, "json")
        return
    totals = None
    if len(shown):
        # One total row per currency: amounts of different currencies are never added together.
        totals = pd.DataFrame([{"customer_id": "Total", "name": "", "currency": currency,
                                **{label: sum(shown.loc[shown["currency"] == currency, label], Decimal(0))
                                   for label in columns[3:]}}
                               for currency in sorted(set(shown["currency"]))])
    title = f"Aging as of {date.isoformat()} ({result.basis} basis)"
    codes = sorted(set(shown["currency"]))
    if len(codes) == 1 and totals is not None:  # one currency: said once in the title, not on every row
        title = f"Aging as of {date.isoformat()} ({result.basis} basis, {codes[0]})"
        shown, totals = shown.drop(columns="currency"), totals.drop(columns="currency")
    _print_frame(shown, "table", title, totals)


def _digits(currency: str) -> int:
    from ..money import exponent

    return exponent(str(currency))


def _aging_by(ledger: Ledger, result: AgingReport, by: str, output_format: str, date: dt.date) -> None:
    """``report aging --by``: the groups' rows (csv, json), or the customers under their groups (table)."""
    import pandas as pd

    from ..aging import TOTAL, UNAPPLIED
    from ..groups import aging_by_group, group_of, shown
    from ..money import to_major
    from ..render.plain import aging_by_group_csv

    money = [*result.labels, UNAPPLIED, TOTAL]
    grouped = aging_by_group(ledger, result, by)
    if output_format == "csv":
        click.echo(aging_by_group_csv(grouped, result.labels, by), nl=False)
        return
    if output_format == "json":
        records = [{by: row[by], "currency": row["currency"], "customers": int(row["customers"]),
                    **{label: to_major(int(row[label]), str(row["currency"])) for label in money}}
                   for row in grouped.to_dict("records")]
        _print_frame(pd.DataFrame(records, columns=[by, "currency", "customers", *money]), "json")
        return
    summary = result.summary.assign(_group=group_of(ledger, result.summary["customer_id"], by).to_numpy())
    rows: list[dict[str, object]] = []
    for record in grouped.to_dict("records"):
        value, currency = str(record[by]), str(record["currency"])
        members = summary[(summary["_group"] == value).to_numpy() & (summary["currency"] == currency).to_numpy()]
        for member in members.sort_values("customer_id").to_dict("records"):
            amounts = {label: to_major(int(member[label]), currency) for label in money}
            rows.append({by: shown(value), "customer_id": member["customer_id"], "name": member["name"],
                         "currency": currency, **amounts})
        rows.append({by: f"Subtotal {shown(value)}", "customer_id": "", "name": f"{int(record['customers'])} "
                     "customer(s)", "currency": currency,
                     **{label: to_major(int(record[label]), currency) for label in money}})
    for currency, block in grouped.groupby("currency", sort=True):
        rows.append({by: "Total", "customer_id": "", "name": "", "currency": str(currency),
                     **{label: to_major(int(block[label].sum()), str(currency)) for label in money}})
    frame = pd.DataFrame(rows, columns=[by, "customer_id", "name", "currency", *money])
    _print_frame(frame, "table", f"Aging by {by} as of {date.isoformat()} ({result.basis} basis)")


@report.command("metrics")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--as-of", "as_of", type=DATE, default=None, help="Default: Settings as_of, else today.")
@click.option("--period-days", type=click.IntRange(1), default=None, help="Default: Settings dso_period_days.")
@click.option("--by", type=BY, default=None,
              help="One column of figures per customer group, region or salesperson, then the total.")
@click.option("--format", "output_format", type=FORMATS, default="table", show_default=True)
@handle_errors
def metrics_command(path: Path, as_of: dt.date | None, period_days: int | None, by: str | None,
                    output_format: str) -> None:
    """DSO (average and countback), best possible DSO, ADD, CEI, turnover and AR figures, with their units.

    With --by, each group's figures are those of its customers alone; its money figures add up to the total.

    \b
    Example:  arxl report metrics ar.xlsx --period-days 90 --format json
              arxl report metrics ar.xlsx --by region
    """
    from ..metrics import compute_metrics
    from ..render.plain import metric_rows, metrics_csv, metrics_dict
    from .tables import Column, print_table

    ledger = load_or_exit(path)
    date = as_of_or_default(ledger, as_of)
    metrics = compute_metrics(ledger, date, period_days=period_days)
    last_edge = ledger.settings.bucket_edges[-1]
    if by is not None:
        if output_format == "csv":
            raise click.BadParameter("with --by the figures come as a table or json", param_hint="--format")
        _metrics_by(ledger, date, by, period_days, metrics_dict(metrics), output_format)
        return
    if output_format == "json":
        click.echo(json.dumps(metrics_dict(metrics), indent=1))
        return
    if output_format == "csv":
        click.echo(metrics_csv(metrics, last_edge), nl=False)
        return
    rows = []
    for _key, label, value, unit in metric_rows(metrics, last_edge):
        shown = "n/a" if value == "" else (f"{Decimal(value):,}" if unit == metrics.currency else value)
        rows.append([label, shown, unit])
    print_table(out_console, [Column("Metric"), Column("Value", numeric=True), Column("Unit")], rows,
                title=f"Metrics as of {date.isoformat()} (period of {metrics.period_days} days)")


def _metrics_by(ledger: Ledger, date: dt.date, by: str, period_days: int | None, total: dict[str, object],
                output_format: str) -> None:
    from rich.table import Table as RichTable

    from ..groups import metrics_by_group, shown
    from ..render.plain import metrics_dict

    groups = [(value, metrics_dict(metrics)) for value, metrics in
              metrics_by_group(ledger, date, by, period_days=period_days)]
    if output_format == "json":
        payload = {"by": by, "groups": [{by: value, **figures} for value, figures in groups], "total": total}
        click.echo(json.dumps(payload, indent=1, ensure_ascii=False))
        return
    table = RichTable(title=f"Metrics by {by} as of {total['as_of']}", header_style="bold")
    table.add_column("metric")
    for value, _ in groups:
        table.add_column(shown(value), justify="right")
    table.add_column("Total", justify="right")
    for key, whole in total.items():
        if key == "as_of":
            continue
        values = [figures[key] for _, figures in groups] + [whole]
        table.add_row(key, *("n/a" if value is None else str(value) for value in values))
    out_console.print(table)


@report.command("open-items")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--customer", default=None, metavar="ID", help="Only this customer.")
@click.option("--as-of", "as_of", type=DATE, default=None, help="Default: Settings as_of, else today.")
@click.option("--format", "output_format", type=FORMATS, default="table", show_default=True)
@handle_errors
def open_items_command(path: Path, customer: str | None, as_of: dt.date | None, output_format: str) -> None:
    """Every open item with its days past due and bucket (unapplied cash as negative items).

    \b
    Example:  arxl report open-items ar.xlsx --customer C0001 --format csv
    """
    from ..aging import aging
    from ..render.plain import open_items_frame

    ledger = load_or_exit(path)
    _require_customer(ledger, customer)
    date = as_of_or_default(ledger, as_of)
    detail = aging(ledger, date).detail
    if customer is not None:
        detail = detail[detail["customer_id"] == customer]
    columns = ["customer_id", "document_id", "instalment", "kind", "currency", "document_date", "due_date",
               "days_past_due", "bucket", "status", "original", "adjusted", "applied", "open_amount"]
    _print_frame(open_items_frame(detail, columns), output_format, f"Open items as of {date.isoformat()}")


def _require_customer(ledger: Ledger, customer: str | None) -> None:
    if customer is not None and customer not in set(ledger.customers["customer_id"].tolist()):
        raise click.BadParameter(f"{customer!r} is not in the Customers table", param_hint="--customer")


@report.command("statement")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--customer", required=True, metavar="ID", help="The customer.")
@click.option("--from", "start", type=DATE, default=None, help="First day of the period (activity statement).")
@click.option("--as-of", "as_of", type=DATE, default=None,
              help="Statement date, the last day of the period (default: Settings as_of, else today).")
@click.option("--to", "end", type=DATE, default=None, hidden=True)  # --as-of's older name
@click.option("--format", "output_format", type=FORMATS, default="table", show_default=True)
@handle_errors
def statement_command(path: Path, customer: str, start: dt.date | None, as_of: dt.date | None,
                      end: dt.date | None, output_format: str) -> None:
    """A customer's statement: open items at --as-of, or with --from the activity of the period from --from to
    --as-of with opening, running and closing balances.

    \b
    Example:  arxl report statement ar.xlsx --customer C0001 --from 2026-06-01 --as-of 2026-06-30
    """
    from ..render.plain import statement_frames
    from ..statements import activity_statement, open_item_statement

    if as_of is not None and end is not None and as_of != end:
        raise click.UsageError("give --as-of or --to (its older name), not both")
    ledger = load_or_exit(path)
    _require_customer(ledger, customer)
    date = as_of_or_default(ledger, as_of or end)
    if start is not None:
        if start > date:
            raise click.BadParameter(f"{start} is after --as-of {date}", param_hint="--from")
        frames = statement_frames(activity_statement(ledger, customer, start, date))
        title = f"Activity of {customer} from {start.isoformat()} to {date.isoformat()}"
        main_frame, totals = frames["lines"], frames["balances"]
    else:
        frames = statement_frames(open_item_statement(ledger, customer, date))
        title = f"Open items of {customer} as of {date.isoformat()}"
        main_frame, totals = frames["items"], frames["footer"]
    if output_format == "json":
        payload = {"customer_id": customer, "lines": main_frame.astype(object).where(main_frame.notna(), None)
                   .to_dict("records"), "totals": totals.to_dict("records")}
        click.echo(json.dumps(payload, default=_json_default, indent=1, ensure_ascii=False))
        return
    _print_frame(main_frame, output_format, title)
    if output_format == "table":
        _print_frame(totals, "table")


REVALUATION_COLUMNS: tuple[str, ...] = (
    "customer_id", "name", "currency", "open_amount", "booked", "revalued", "unrealised", "realised",
)


@report.command("revaluation")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--as-of", "as_of", type=DATE, default=None, help="Default: Settings as_of, else today.")
@click.option("--from", "start", type=DATE, default=None,
              help="First day of the period of realised differences (default: the first of the as-of month).")
@click.option("--format", "output_format", type=FORMATS, default="table", show_default=True)
@handle_errors
def revaluation_command(path: Path, as_of: dt.date | None, start: dt.date | None, output_format: str) -> None:
    """Open foreign-currency items at the as-of rate against their booked value (unrealised difference), and
    the differences settlements realised in the period, per customer and currency.

    open_amount is in the item's currency; the other figures in the reporting currency.

    \b
    Example:  arxl report revaluation ar.xlsx --as-of 2026-06-30 --format csv
    """
    import pandas as pd

    from ..fx import has_foreign_items
    from ..money import to_major
    from ..revaluation import revaluation

    ledger = load_or_exit(path)
    date = as_of_or_default(ledger, as_of)
    if start is not None and start > date:
        raise click.BadParameter(f"{start} is after the as-of date {date}", param_hint="--from")
    result = revaluation(ledger, date, start)
    reporting = result.currency
    records = [{column: (to_major(int(row[column]), str(row["currency"]) if column == "open_amount" else reporting)
                         if column in REVALUATION_COLUMNS[3:] else row[column]) for column in REVALUATION_COLUMNS}
               for row in result.summary.to_dict("records")]
    frame = pd.DataFrame(records, columns=list(REVALUATION_COLUMNS))
    if output_format == "csv":
        _print_frame(frame, "csv")
        return
    realised = [{"date": pd.Timestamp(row["date"]).date(), "customer_id": row["customer_id"],
                 "currency": row["currency"], "source_id": row["source_id"], "invoice_id": row["invoice_id"],
                 "amount": to_major(int(row["amount"]), str(row["currency"])),
                 "paid_in": row["source_currency"],
                 "paid": to_major(int(row["source_amount"]), str(row["source_currency"])),
                 "source_rate": row["source_rate"], "invoice_rate": row["invoice_rate"],
                 "realised": to_major(int(row["realised"]), reporting)}
                for row in result.realised.to_dict("records")]
    totals = {name: to_major(result.total(name), reporting) for name in ("booked", "revalued", "unrealised",
                                                                         "realised")}
    if output_format == "json":
        payload = {"as_of": date.isoformat(), "from": result.start.isoformat(), "currency": reporting,
                   "customers": frame.astype(object).to_dict("records"), "totals": totals, "realised": realised,
                   "missing": list(result.missing)}
        click.echo(json.dumps(payload, default=_json_default, indent=1, ensure_ascii=False))
        return
    if not has_foreign_items(ledger):
        click.echo(f"No document is in another currency than {reporting}: nothing to revalue.")
        return
    shown = pd.concat([frame, pd.DataFrame([{"customer_id": "Total", "name": "", "currency": reporting,
                                             "open_amount": None, **totals}])], ignore_index=True)
    _print_frame(shown, "table", f"Revaluation as of {date.isoformat()} in {reporting} (realised from "
                                 f"{result.start.isoformat()})")
    if realised:
        _print_frame(pd.DataFrame(realised), "table", "Realised differences")
    for note in result.missing:
        click.echo(f"Not revalued: {note}")
