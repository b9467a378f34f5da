"""The demo book: contract shape, determinism, references that resolve, and cash that never over-applies.

The checks recompute everything from the generated tables with plain pandas groupbys; they do not reuse the
generator's internals. Money is compared in integer cents.
"""

from __future__ import annotations

import datetime as dt
import re
import time

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arxl.contract import (
    ACTIVITY,
    ADJUSTMENTS,
    APPLICATIONS,
    CUSTOMERS,
    INVOICES,
    PAYMENTS,
    SETTING_KEYS,
    SETTINGS,
    Kind,
)
from arxl.demo import default_customers, generate_demo

AS_OF = dt.date(2026, 3, 31)
INPUT_TABLES = (SETTINGS, CUSTOMERS, INVOICES, PAYMENTS, APPLICATIONS, ADJUSTMENTS, ACTIVITY)


@pytest.fixture(scope="module")
def book() -> dict[str, pd.DataFrame]:
    return generate_demo(as_of=AS_OF)


def cents(amounts: pd.Series) -> pd.Series:
    return np.rint(amounts * 100).astype(np.int64)


def sum_by(frame: pd.DataFrame, key: str, index: pd.Index) -> pd.Series:
    """Cents of ``frame.amount`` summed per ``key``, aligned on ``index`` (0 where nothing)."""
    return cents(frame["amount"]).groupby(frame[key]).sum().reindex(index, fill_value=0)


def found_in(values: pd.Series, allowed: pd.Index) -> np.ndarray:
    """``values.isin(allowed)`` through a hash of Python strings: pandas' isin on pyarrow strings builds one
    pyarrow scalar per allowed value, which takes seconds at 100,000 ids."""
    return pd.Series(values.to_numpy(dtype=object), dtype=object).isin(allowed.to_numpy(dtype=object)).to_numpy()


def reversed_payment_ids(payments: pd.DataFrame) -> pd.Index:
    return pd.Index(payments.loc[payments["amount"] < 0, "reference"])


def over_applied(book: dict[str, pd.DataFrame], cutoff: dt.date) -> pd.DataFrame:
    """Invoices whose settlements exceed them as of ``cutoff`` (documents dated later do not exist).

    Settlements: payments naming the invoice (less those reversed by then), Applications rows, credit notes
    (applies_to), write-offs and discounts. The invoice is its amount plus finance charges and recoveries.
    """
    day = pd.Timestamp(cutoff)
    invoices = book["Invoices"]
    invoices = invoices[invoices["invoice_date"] <= day]
    payments = book["Payments"][book["Payments"]["payment_date"] <= day]
    applications = book["Applications"][book["Applications"]["date"] <= day]
    adjustments = book["Adjustments"][book["Adjustments"]["date"] <= day]
    debits = invoices[invoices["amount"] > 0].set_index("invoice_id")
    ids = debits.index

    naming = payments[(payments["invoice_id"] != "") & (payments["amount"] > 0)]
    naming = naming[~naming["payment_id"].isin(reversed_payment_ids(payments))]
    credits = invoices[invoices["type"] == "credit_note"].assign(amount=lambda f: -f["amount"])
    reducing = adjustments[adjustments["type"].isin(["write_off", "discount"])]
    increasing = adjustments[adjustments["type"].isin(["finance_charge", "bad_debt_recovery"])]
    settled = (
        sum_by(naming, "invoice_id", ids) + sum_by(applications, "invoice_id", ids)
        + sum_by(credits, "applies_to", ids) + sum_by(reducing, "invoice_id", ids)
    )
    limit = cents(debits["amount"]) + sum_by(increasing, "invoice_id", ids)
    return pd.DataFrame({"settled": settled, "limit": limit})[settled > limit]


def broken_references(book: dict[str, pd.DataFrame]) -> list[str]:
    """Every reference that does not resolve, as readable lines (empty when all resolve)."""
    customers = pd.Index(book["Customers"]["customer_id"])
    invoices = book["Invoices"].set_index("invoice_id")
    live = invoices.index[invoices["status"] != "void"]
    payments = book["Payments"].set_index("payment_id")
    problems: list[str] = []

    def check(name: str, values: pd.Series, allowed: pd.Index, blank_ok: bool = False) -> None:
        values = values[values != ""] if blank_ok else values
        missing = values[~found_in(values, allowed)]
        if len(missing):
            problems.append(f"{name}: {len(missing)} unresolved, e.g. {missing.iloc[0]!r}")

    check("Invoices.customer_id", invoices["customer_id"], customers)
    check("Payments.customer_id", payments["customer_id"], customers)
    check("Activity.customer_id", book["Activity"]["customer_id"], customers)
    check("Payments.invoice_id", payments["invoice_id"], live, blank_ok=True)
    check("Applications.invoice_id", book["Applications"]["invoice_id"], live)
    check("Applications.payment_id", book["Applications"]["payment_id"], payments.index)
    check("Adjustments.invoice_id", book["Adjustments"]["invoice_id"], live)
    check("Activity.invoice_id", book["Activity"]["invoice_id"], live, blank_ok=True)

    notes = invoices[invoices["type"] == "credit_note"]
    check("Invoices.applies_to", notes["applies_to"], live)
    target = invoices.reindex(notes["applies_to"])
    if (target["customer_id"].to_numpy() != notes["customer_id"].to_numpy()).any():
        problems.append("a credit note applies to another customer's invoice")
    if (target["invoice_date"].to_numpy() > notes["invoice_date"].to_numpy()).any():
        problems.append("a credit note is dated before its invoice")
    if (cents(-notes["amount"]).to_numpy() > cents(target["amount"]).to_numpy()).any():
        problems.append("a credit note is larger than its invoice")

    reversals = payments[payments["amount"] < 0]
    check("reversal reference", reversals["reference"], payments.index)
    original = payments.reindex(reversals["reference"])
    if (original["customer_id"].to_numpy() != reversals["customer_id"].to_numpy()).any():
        problems.append("a reversal reverses another customer's payment")
    if (cents(original["amount"]).to_numpy() != cents(-reversals["amount"]).to_numpy()).any():
        problems.append("a reversal's amount differs from the payment it reverses")
    if (original["payment_date"].to_numpy() > reversals["payment_date"].to_numpy()).any():
        problems.append("a reversal is dated before the payment it reverses")

    applied = book["Applications"].join(payments["customer_id"], on="payment_id")
    applied = applied.join(invoices["customer_id"].rename("invoice_customer"), on="invoice_id")
    if (applied["customer_id"] != applied["invoice_customer"]).any():
        problems.append("an application pays another customer's invoice")
    return problems


def promise_outcomes(book: dict[str, pd.DataFrame]) -> pd.Series:
    """For promises whose date has come: True when a payment naming the invoice, of at least the promised
    amount, arrived between the promise and the promised date."""
    activity = book["Activity"]
    promises = activity[(activity["action"] == "promise") & (activity["promised_date"] <= pd.Timestamp(AS_OF))]
    promises = promises.reset_index(drop=True).rename_axis("promise").reset_index()
    payments = book["Payments"]
    matched = promises.merge(payments, on="invoice_id", suffixes=("", "_paid"))
    kept = matched[
        (matched["payment_date"] >= matched["date"]) & (matched["payment_date"] <= matched["promised_date"])
        & (cents(matched["amount"]) >= cents(matched["promised_amount"]))
    ]
    return promises["promise"].isin(kept["promise"])


# --- the contract -------------------------------------------------------------------------------------------


def test_the_book_has_each_input_table_with_the_contracts_columns_in_order(book):
    assert list(book) == [table.name for table in INPUT_TABLES]
    for table in INPUT_TABLES:
        assert list(book[table.name].columns) == [column.name for column in table.columns], table.name


def test_values_are_typed_as_a_user_would_type_them(book):
    for table in INPUT_TABLES:
        frame = book[table.name]
        for column in table.columns:
            values = frame[column.name]
            where = f"{table.name}.{column.name}"
            if column.kind is Kind.DATE:
                assert values.dtype == np.dtype("datetime64[s]"), where
            elif column.kind is Kind.MONEY:
                assert values.dtype == np.float64, where
                present = values.dropna()
                assert (np.abs(present * 100 - np.rint(present * 100)) < 1e-6).all(), f"{where} has sub-cents"
            elif column.kind is Kind.INTEGER:
                assert values.dtype == np.int64, where
            elif column.kind is Kind.NUMBER:
                assert values.dtype == np.float64, where
            else:
                assert pd.api.types.is_string_dtype(values.dtype), where
                assert not values.isna().any(), f"{where}: blanks must be empty strings"
                if column.kind is Kind.BOOL:
                    assert set(values) <= {"yes", "no"}, where
                if column.kind is Kind.CHOICE:
                    assert set(values) <= set(column.choices) | {""}, where
            # A Settings value may be blank: it means the documented default (date_order has none).
            if column.required and where != "Settings.value":
                assert not values.isna().any() and not (values.astype(str) == "").any(), f"{where} has blanks"


def test_settings_hold_every_key_with_the_company_and_the_as_of_date(book):
    settings_table = book["Settings"].set_index("key")["value"]
    assert list(settings_table.index) == [setting.key for setting in SETTING_KEYS]
    assert settings_table["as_of"] == "2026-03-31"
    assert settings_table["company_name"] == "Northwind Components Ltd"
    assert settings_table["company_address"] and settings_table["payment_instructions"]
    assert settings_table["reporting_currency"] == "USD"


def test_ids_are_unique_and_zero_padded(book):
    patterns = {
        ("Customers", "customer_id"): r"C\d{4}",
        ("Invoices", "invoice_id"): r"(INV|CN|DN)-\d{6}",
        ("Payments", "payment_id"): r"PAY-\d{6}",
        ("Adjustments", "adjustment_id"): r"ADJ-\d{5}",
    }
    for (table, column), pattern in patterns.items():
        ids = book[table][column]
        assert ids.is_unique, column
        assert ids.str.fullmatch(pattern).all(), (column, ids[~ids.str.fullmatch(pattern)].head())
    assert set(book["Invoices"]["currency"]) == set(book["Customers"]["currency"]) == {"USD"}


# --- determinism and scaling ---------------------------------------------------------------------------------


def test_same_arguments_give_the_same_book_and_another_seed_another(book):
    again = generate_demo(as_of=AS_OF)
    for name, frame in book.items():
        pd.testing.assert_frame_equal(frame, again[name])
    other = generate_demo(as_of=AS_OF, seed=8)
    assert not other["Invoices"].equals(book["Invoices"])
    assert not other["Payments"].equals(book["Payments"])


def test_customers_scale_with_invoices_unless_given():
    assert default_customers(3000) == 60
    assert default_customers(100) == 60
    assert default_customers(100_000) == 2000
    assert default_customers(1_000_000) == 20_000
    assert len(generate_demo(as_of=AS_OF, invoices=200, customers=7)["Customers"]) == 7


@pytest.mark.parametrize(("invoices", "customers"), [(1, 1), (5, None), (40, 3), (400, 25)])
def test_tiny_books_still_hold_together(invoices, customers):
    tiny = generate_demo(as_of=AS_OF, invoices=invoices, customers=customers)
    assert len(tiny["Invoices"]) == invoices
    assert broken_references(tiny) == []
    assert over_applied(tiny, AS_OF).empty


@pytest.mark.parametrize("arguments", [{"invoices": 0}, {"customers": 0}])
def test_nonsense_sizes_are_refused(arguments):
    with pytest.raises(ValueError, match="at least 1"):
        generate_demo(as_of=AS_OF, **arguments)


# --- integrity -----------------------------------------------------------------------------------------------


def test_every_reference_resolves(book):
    assert broken_references(book) == []


def test_no_document_is_dated_after_the_as_of_date_or_before_the_18_months(book):
    as_of, start = pd.Timestamp(AS_OF), pd.Timestamp(dt.date(2024, 10, 1))
    dated = {
        "Invoices": "invoice_date", "Payments": "payment_date", "Applications": "date", "Adjustments": "date",
        "Activity": "date",
    }
    for table, column in dated.items():
        dates = book[table][column]
        assert dates.notna().all(), table
        assert dates.max() <= as_of, table
        assert dates.min() >= start, table
    invoices = book["Invoices"]
    due = invoices["due_date"].dropna()
    assert (due >= invoices.loc[due.index, "invoice_date"]).all()
    assert invoices["invoice_date"].max() > as_of - pd.Timedelta(days=7), "history runs up to the as-of date"


@pytest.mark.parametrize("cutoff", [AS_OF, dt.date(2025, 12, 31), dt.date(2025, 6, 30), dt.date(2024, 12, 15)])
def test_no_invoice_is_over_applied_at_any_date(book, cutoff):
    assert over_applied(book, cutoff).empty


def test_applications_never_exceed_their_payment_or_their_invoice(book):
    applications = book["Applications"]
    payments = book["Payments"].set_index("payment_id")
    invoices = book["Invoices"].set_index("invoice_id")
    applied = cents(applications["amount"]).groupby(applications["payment_id"]).sum()
    assert (applied <= cents(payments.loc[applied.index, "amount"])).all()
    assert (cents(applications["amount"]) > 0).all()
    assert (cents(applications["amount"]).to_numpy() <= cents(invoices.loc[applications["invoice_id"], "amount"])
            .to_numpy()).all()
    assert (payments.loc[applied.index, "invoice_id"] == "").all(), "a split payment names no single invoice"
    assert (applications["date"].to_numpy() >= payments.loc[applications["payment_id"], "payment_date"]
            .to_numpy()).all()


@settings(max_examples=20, deadline=None)
@given(
    invoices=st.integers(1, 600),
    customers=st.one_of(st.none(), st.integers(1, 40)),
    seed=st.integers(0, 2**32 - 1),
    as_of=st.dates(dt.date(2000, 1, 1), dt.date(2099, 12, 31)),
)
def test_any_book_resolves_and_never_over_applies(invoices, customers, seed, as_of):
    any_book = generate_demo(invoices=invoices, customers=customers, seed=seed, as_of=as_of)
    assert broken_references(any_book) == []
    assert over_applied(any_book, as_of).empty
    assert (any_book["Payments"]["payment_date"] <= pd.Timestamp(as_of)).all()
    assert (any_book["Activity"]["date"] <= pd.Timestamp(as_of)).all()


# --- realism: each feature is there ---------------------------------------------------------------------------


def test_document_mix_matches_the_brief(book):
    invoices = book["Invoices"]
    share = invoices["type"].value_counts(normalize=True)
    assert 0.025 <= share["credit_note"] <= 0.035
    assert 0.005 <= share["debit_note"] <= 0.015
    status = invoices["status"].value_counts(normalize=True)
    assert 0.015 <= status["disputed"] <= 0.025
    assert 0.003 <= status["void"] <= 0.007
    notes = invoices[invoices["type"] == "credit_note"]
    assert (notes["amount"] < 0).all() and (invoices.loc[invoices["type"] != "credit_note", "amount"] > 0).all()
    amounts = invoices.loc[invoices["type"] == "invoice", "amount"]
    assert amounts.min() >= 150 and amounts.max() <= 40_000
    assert amounts.median() * 3 < amounts.quantile(0.95), "amounts are skewed like a log-normal"
    assert (invoices["due_date"].isna() & (invoices["type"] != "credit_note")).any(), "some due dates left blank"


def test_customers_vary_in_terms_limits_and_holds(book):
    customers = book["Customers"]
    assert set(customers["terms_days"]) == {0, 15, 30, 45, 60}
    assert customers["credit_limit"].notna().mean() > 0.8 and customers["credit_limit"].isna().any()
    assert 1 <= (customers["on_hold"] == "yes").sum() <= len(customers) // 5
    assert (customers["email"].str.contains("@")).mean() > 0.8
    assert customers["name"].is_unique
    assert customers["address"].str.contains("\n").all()
    assert set(book["Invoices"]["customer_id"]) == set(customers["customer_id"]), "every customer has bought"


def test_payment_behaviours_run_from_early_to_chronically_late(book):
    invoices = book["Invoices"].set_index("invoice_id")
    payments = book["Payments"]
    naming = payments[(payments["invoice_id"] != "") & (payments["amount"] > 0)]
    due = invoices.loc[naming["invoice_id"], "due_date"].to_numpy()
    days_late = (naming["payment_date"].to_numpy() - due) / np.timedelta64(1, "D")
    per_customer = pd.Series(days_late, index=naming.index).groupby(naming["customer_id"]).mean()
    assert per_customer.min() < -3, "someone pays early"
    assert per_customer.max() > 40, "someone pays chronically late"
    assert per_customer.between(-3, 5).sum() >= 5, "many pay about on time"


def test_payments_come_referenced_unreferenced_split_partial_and_reversed(book):
    payments = book["Payments"]
    applications = book["Applications"]
    received = payments[payments["amount"] > 0]
    applied = received["payment_id"].isin(applications["payment_id"])
    unreferenced = received[(received["invoice_id"] == "") & ~applied]
    assert 0.10 <= len(unreferenced) / len(received) <= 0.20
    assert unreferenced["reference"].str.fullmatch(r"Remittance for INV-\d{6}").any()
    assert unreferenced["reference"].str.startswith("ACH CREDIT").any()

    rows_per_split = applications.groupby("payment_id").size()
    assert rows_per_split.between(2, 3).all() and (rows_per_split == 3).any()
    split_total = cents(applications["amount"]).groupby(applications["payment_id"]).sum()
    assert (split_total == cents(payments.set_index("payment_id").loc[split_total.index, "amount"])).all()

    receipts_per_invoice = received[received["invoice_id"] != ""].groupby("invoice_id").size()
    assert (receipts_per_invoice >= 2).sum() >= 10, "partial payments in instalments"

    reversals = payments[payments["amount"] < 0]
    assert len(reversals) >= 1
    bounced = payments.set_index("payment_id").loc[reversals["reference"]]
    assert (bounced["method"] == "Cheque").all()
    replacements = payments[payments["reference"].isin("Replaces bounced cheque " + reversals["reference"])]
    assert len(replacements) >= 1
    replaced = replacements.merge(
        payments[["payment_id", "invoice_id", "amount"]], left_on=replacements["reference"].str[24:],
        right_on="payment_id", suffixes=("", "_bounced"),
    )
    assert (replaced["invoice_id"] == replaced["invoice_id_bounced"]).all()
    assert (cents(replaced["amount"]) == cents(replaced["amount_bounced"])).all()


def test_overpayments_leave_some_customer_with_unapplied_credit(book):
    invoices = book["Invoices"]
    live = invoices[invoices["status"] != "void"]
    adjustments = book["Adjustments"]
    sign = adjustments["type"].map({"write_off": -1, "discount": -1, "finance_charge": 1, "bad_debt_recovery": 1})
    adjusted = (cents(adjustments["amount"]) * sign).groupby(
        adjustments["invoice_id"].map(invoices.set_index("invoice_id")["customer_id"])).sum()
    billed = cents(live["amount"]).groupby(live["customer_id"]).sum()
    paid = cents(book["Payments"]["amount"]).groupby(book["Payments"]["customer_id"]).sum()
    balance = billed.add(adjusted, fill_value=0).sub(paid, fill_value=0)
    assert (balance < 0).any(), "a customer who overpaid is owed money"
    assert (balance > 0).sum() > len(balance) // 2


def test_adjustments_hold_discounts_write_offs_finance_charges_and_recoveries(book):
    adjustments = book["Adjustments"]
    counts = adjustments["type"].value_counts()
    assert set(counts.index) == {"write_off", "discount", "finance_charge", "bad_debt_recovery"}
    assert (adjustments["amount"] > 0).all()
    invoices = book["Invoices"].set_index("invoice_id")
    credited = -cents(invoices["amount"]).groupby(invoices["applies_to"]).sum()
    discounts = adjustments[adjustments["type"] == "discount"]
    # 2% of what was owed: the invoice less its credit note, to the nearest cent.
    owed = (cents(invoices.loc[discounts["invoice_id"], "amount"])
            - credited.reindex(discounts["invoice_id"], fill_value=0).to_numpy()).to_numpy()
    assert (np.abs(cents(discounts["amount"]).to_numpy() * 50 - owed) <= 25).all(), "2% of what was owed"
    bad_debts = adjustments[adjustments["reason"].str.contains("bad debt")]
    age = bad_debts["date"].to_numpy() - invoices.loc[bad_debts["invoice_id"], "due_date"].to_numpy()
    assert (age[~np.isnat(age)] >= np.timedelta64(120, "D")).all(), "only old invoices are written off"


def test_disputes_match_disputed_invoices_and_some_are_resolved(book):
    activity = book["Activity"]
    invoices = book["Invoices"].set_index("invoice_id")
    disputes = activity[activity["action"] == "dispute"]
    resolved = activity[activity["action"] == "resolved"]
    disputed = invoices.index[invoices["status"] == "disputed"]
    assert disputed.isin(disputes["invoice_id"]).all(), "every disputed invoice has its dispute on record"
    assert disputes["invoice_id"].isin(disputed.union(pd.Index(resolved["invoice_id"]))).all()
    assert len(resolved) >= 5
    first_dispute = disputes.groupby("invoice_id")["date"].min()
    assert (resolved["date"].to_numpy() >= first_dispute.loc[resolved["invoice_id"]].to_numpy()).all()
    assert not activity["invoice_id"].isin(invoices.index[invoices["status"] == "void"]).any()
    dunned = activity[activity["action"].isin(["letter", "call", "email"])]
    assert not dunned["invoice_id"].isin(disputed).any(), "disputed invoices are not dunned"


def test_collection_activity_has_reminders_and_promises_kept_and_broken(book):
    activity = book["Activity"]
    assert {"call", "email", "letter", "promise", "dispute", "resolved", "note"} <= set(activity["action"])
    promises = activity[activity["action"] == "promise"]
    assert promises["promised_date"].notna().all() and (promises["promised_amount"] > 0).all()
    assert (promises["promised_date"] >= promises["date"]).all()
    others = activity[activity["action"] != "promise"]
    assert others["promised_date"].isna().all() and others["promised_amount"].isna().all()
    kept = promise_outcomes(book)
    assert kept.sum() >= 10, "promises kept"
    assert (~kept).sum() >= 10, "promises broken"


# --- scale -----------------------------------------------------------------------------------------------------


def test_a_hundred_thousand_invoices_generate_quickly_and_hold_together():
    started = time.perf_counter()
    large = generate_demo(as_of=AS_OF, invoices=100_000)
    elapsed = time.perf_counter() - started
    assert elapsed < 10, f"{elapsed:.1f} s"
    assert len(large["Invoices"]) == 100_000 and len(large["Customers"]) == 2000
    assert large["Invoices"]["invoice_id"].is_unique and large["Payments"]["payment_id"].is_unique
    assert over_applied(large, AS_OF).empty
    assert broken_references(large) == []
    assert re.fullmatch(r"INV-\d{6}", large["Invoices"]["invoice_id"].iloc[0])
