"""Collections: dunning levels, disputes, promises kept and broken, next actions, the ranked worklist, letters
that escalate one level at a time and pause for promises, and safe letter templates. Every figure is worked by
hand in the comments (money in cents in the asserts)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd

from arxl.collections import (
    SafeFormatter,
    dunning,
    dunning_levels,
    last_contacts,
    letters,
    worklist,
)
from arxl.ledger import ACTIVITY_COLUMNS, DUNNING_COLUMNS, Ledger, empty_frame
from arxl.money import to_minor
from arxl.receivables import open_disputes, promises
from tests.builders import build_ledger, day

AS_OF = dt.date(2026, 6, 30)


def with_activity(ledger: Ledger, rows: list[dict[str, object]]) -> Ledger:
    """``ledger`` with an Activity table built from plain rows (dates ISO, amounts major units)."""
    full = []
    for index, row in enumerate(rows):
        amount = row.get("promised_amount")
        full.append({"date": day(row["date"]), "customer_id": row["customer_id"],
                     "invoice_id": row.get("invoice_id", ""), "action": row["action"],
                     "promised_date": day(row.get("promised_date")),
                     "promised_amount": None if amount is None else to_minor(amount, "USD"),
                     "note": row.get("note", ""), "row": index + 2})
    frame = pd.DataFrame({name: [row[name] for row in full] for name in ACTIVITY_COLUMNS}) if full else \
        empty_frame(ACTIVITY_COLUMNS)
    for name, dtype in ACTIVITY_COLUMNS.items():
        frame[name] = pd.to_datetime(frame[name]).astype(dtype) if dtype.startswith("datetime") else \
            frame[name].astype(dtype)
    return dataclasses.replace(ledger, activity=frame)


def add_activity(ledger: Ledger, rows: list[dict[str, object]]) -> Ledger:
    """``ledger`` with ``rows`` added to its Activity table."""
    added = with_activity(ledger, rows).activity.assign(row=lambda frame: frame["row"] + 100)
    return dataclasses.replace(ledger, activity=pd.concat([ledger.activity, added], ignore_index=True))


def book() -> Ledger:
    """Three customers at 2026-06-30, auto-apply off so every payment goes where it says, and no grace days
    after a promised date.

    C1 (limit 1,000.00): I1 500.00 due 06-20 less P2 250.00 = 250.00 (10 days); I2 300.00 due 05-01 (60 days);
        I3 200.00 due 04-01, disputed (90 days); I4 100.00 due 07-15, paid by P1 on 06-05.
    C2 (no limit): J1 1,000.00 due 05-31 less Q1 400.00 (06-18) = 600.00 (30 days).
    C3 (limit 100.00): K1 50.00 due 03-31 (91 days); K2 80.00 due 06-29 under an open dispute (1 day);
        K3 60.00 due 06-01 (29 days) whose dispute was resolved.
    """
    ledger = build_ledger(
        customers=[dict(customer_id="C1", name="Acme Ltd", credit_limit="1000.00", contact="Ann"),
                   dict(customer_id="C2", name="Beta GmbH"),
                   dict(customer_id="C3", name="Gamma Inc", credit_limit="100.00")],
        invoices=[
            dict(invoice_id="I1", customer_id="C1", invoice_date="2026-05-21", due_date="2026-06-20",
                 amount="500.00"),
            dict(invoice_id="I2", customer_id="C1", invoice_date="2026-04-01", due_date="2026-05-01",
                 amount="300.00"),
            dict(invoice_id="I3", customer_id="C1", invoice_date="2026-03-02", due_date="2026-04-01",
                 amount="200.00",
                 status="disputed"),
            dict(invoice_id="I4", customer_id="C1", invoice_date="2026-06-01", due_date="2026-07-15",
                 amount="100.00"),
            dict(invoice_id="J1", customer_id="C2", invoice_date="2026-05-01", due_date="2026-05-31",
                 amount="1000.00"),
            dict(invoice_id="K1", customer_id="C3", invoice_date="2026-03-01", due_date="2026-03-31",
                 amount="50.00"),
            dict(invoice_id="K2", customer_id="C3", invoice_date="2026-05-30", due_date="2026-06-29",
                 amount="80.00"),
            dict(invoice_id="K3", customer_id="C3", invoice_date="2026-05-02", due_date="2026-06-01",
                 amount="60.00"),
        ],
        payments=[
            dict(payment_id="P1", customer_id="C1", payment_date="2026-06-05", amount="100.00", invoice_id="I4"),
            dict(payment_id="P2", customer_id="C1", payment_date="2026-06-16", amount="250.00", invoice_id="I1"),
            dict(payment_id="Q1", customer_id="C2", payment_date="2026-06-18", amount="400.00", invoice_id="J1"),
        ],
        auto_apply=False,
        promise_grace_days=0,
    )
    return with_activity(ledger, [
        # C1 promised 300.00 by 06-15 on 06-01; only P1's 100.00 came in 06-01..06-15 (P2 is 06-16): partly
        # kept, 200.00 short.
        dict(date="2026-06-01", customer_id="C1", action="promise", promised_date="2026-06-15",
             promised_amount="300.00"),
        # C2 promised 400.00 by 06-20 on 06-10; Q1 400.00 on 06-18: kept.
        dict(date="2026-06-10", customer_id="C2", action="promise", promised_date="2026-06-20",
             promised_amount="400.00"),
        dict(date="2026-06-10", customer_id="C2", action="letter"),
        # C3 promised 50.00 by 07-05 on 06-25; nothing paid yet and 07-05 is after the as-of date: pending.
        dict(date="2026-06-25", customer_id="C3", action="promise", promised_date="2026-07-05",
             promised_amount="50.00"),
        dict(date="2026-06-05", customer_id="C3", invoice_id="K3", action="dispute"),
        dict(date="2026-06-20", customer_id="C3", invoice_id="K3", action="resolved"),
        dict(date="2026-06-29", customer_id="C3", invoice_id="K2", action="dispute"),
        dict(date="2026-06-30", customer_id="C3", action="note", note="internal"),
        # after the as-of date: does not exist yet
        dict(date="2026-07-02", customer_id="C3", invoice_id="K2", action="resolved"),
    ])


def test_dunning_levels_by_days_past_due_with_disputes_left_out() -> None:
    items = dunning(book(), AS_OF)
    levels = dict(zip(items["document_id"], zip(items["level"], items["level_name"], strict=True), strict=True))
    # default levels 1/30/60/90: I1 10 days -> 1, I2 60 -> 3, J1 30 -> 2, K1 91 -> 4, K3 29 -> 1;
    # I3 (status disputed) and K2 (open Activity dispute) are left out, I4 is paid
    assert levels == {"I1": (1, "Reminder"), "I2": (3, "Final notice"), "J1": (2, "Second notice"),
                      "K1": (4, "Collections"), "K3": (1, "Reminder")}
    assert dict(zip(items["document_id"], items["open_amount"], strict=True))["I1"] == 25000
    # C3's promise of 06-25 (by 07-05, no invoice named) is pending: it pauses both of C3's items
    assert items.set_index("document_id")["paused"].to_dict() == {"I2": False, "I1": False, "J1": False,
                                                                  "K1": True, "K3": True}


def test_dunning_levels_from_the_workbook_table() -> None:
    ledger = dataclasses.replace(book(), dunning_levels=levels_table(
        (1, 15, "Gentle", 0, "", ""), (2, 45, "Firm", 2500, "Pay {customer_name}", "")))
    levels = dunning_levels(ledger)
    assert levels["template"].str.len().min() > 0  # blanks take the default texts
    items = dunning(ledger, AS_OF)
    # I1 10 days: below 15 -> 0; I2 60 -> Firm; J1 30 -> Gentle; K3 29 -> Gentle
    assert dict(zip(items["document_id"], items["level"], strict=True)) == {"I1": 0, "I2": 2, "J1": 1, "K1": 2,
                                                                          "K3": 1}


def test_open_disputes_follow_the_activity_and_the_as_of_date() -> None:
    ledger = book()
    assert open_disputes(ledger, AS_OF)["invoice_id"].tolist() == ["K2"]  # K3's dispute was resolved
    assert open_disputes(ledger, dt.date(2026, 7, 2)).empty  # resolved on 07-02
    assert open_disputes(ledger, dt.date(2026, 6, 10))["invoice_id"].tolist() == ["K3"]


def test_a_promise_kept_one_partly_kept_and_one_pending() -> None:
    judged = promises(book(), AS_OF)
    assert dict(zip(judged["customer_id"], judged["status"], strict=True)) == {"C1": "partly kept", "C2": "kept",
                                                                                "C3": "pending"}
    # paid in each window: C1 06-01..06-15 = P1 100.00; C2 06-10..06-20 = Q1 400.00; C3 nothing
    assert judged["paid"].tolist() == [10000, 40000, 0]
    # C1 asked 300.00 and paid 100.00: 200.00 short; C3 is still short of its 50.00 but not yet due
    assert judged["shortfall"].tolist() == [20000, 0, 5000]
    # at 2026-06-12 both windows are still open (C1 has 100.00 of 300.00, C2 nothing yet): pending, not broken;
    # C3's promise is not made yet
    early = promises(book(), dt.date(2026, 6, 12))
    assert dict(zip(early["customer_id"], early["status"], strict=True)) == {"C1": "pending", "C2": "pending"}


def test_last_contact_skips_internal_notes() -> None:
    contacts = last_contacts(book(), AS_OF).set_index("customer_id")
    # C3's latest row is a note on 06-30; its last contact is the dispute on 06-29
    assert contacts.at["C3", "last_contact_date"] == pd.Timestamp("2026-06-29")
    assert contacts.at["C3", "last_contact_action"] == "dispute"
    assert contacts.at["C2", "last_letter_date"] == pd.Timestamp("2026-06-10")


def test_worklist_rank_priority_and_next_actions() -> None:
    work = worklist(book(), AS_OF).set_index("customer_id")
    # Collectable (undisputed overdue): C1 250 + 300 = 550.00; C2 600.00; C3 K1 50 + K3 60 = 110.00 (K2 disputed).
    assert work["collectable"].to_dict() == {"C1": 55000, "C2": 60000, "C3": 11000}
    assert work["overdue"].to_dict() == {"C1": 75000, "C2": 60000, "C3": 19000}
    assert work["disputed"].to_dict() == {"C1": 20000, "C2": 0, "C3": 8000}
    # priority = 40 x collectable / 600.00 + 30 x min(days, 120) / 120 + 20 x min(broken, 2) / 2 + 10 x over limit
    # C1: 40 x 550/600 = 36.667 + 30 x 60/120 = 15 + 20 x 1/2 = 10 + 0 (750.00 <= 1,000.00)   = 61.67
    #     (its promise was only partly kept: it counts as not kept)
    # C2: 40 x 1 = 40 + 30 x 30/120 = 7.5 + 0 + 0 (no limit)                                    = 47.50
    # C3: 40 x 110/600 = 7.333 + 30 x 91/120 = 22.75 + 0 + 10 (balance 190.00 > limit 100.00)  = 40.08
    assert work["priority"].to_dict() == {"C1": 61.67, "C2": 47.5, "C3": 40.08}
    assert work["rank"].to_dict() == {"C1": 1, "C2": 2, "C3": 3}
    assert work["oldest_days"].to_dict() == {"C1": 60, "C2": 30, "C3": 91}
    assert work["level_name"].to_dict() == {"C1": "Final notice", "C2": "Second notice", "C3": "Collections"}
    assert work["broken_promises"].to_dict() == {"C1": 1, "C2": 0, "C3": 0}
    assert work["over_limit"].to_dict() == {"C1": False, "C2": False, "C3": True}
    assert work["credit_hold"].to_dict() == {"C1": False, "C2": False, "C3": True}
    # C1: latest promise partly kept, no contact since 06-15 -> call today.
    # C2: its letter of 06-10 names no level; J1 (due 05-31) was 10 days late then: a Reminder (level 1). J1
    #     reached level 2 on 05-31 + 30 = 06-30 and 06-30 - 06-10 = 20 >= 14 gap days -> the Second notice today.
    # C3: promise pending until 07-05 -> check the day after.
    assert work["next_action"].to_dict() == {"C1": "Call: promise partly kept", "C2": "Send Second notice",
                                             "C3": "Check promised payment"}
    assert work["next_action_date"].dt.date.to_dict() == {"C1": AS_OF, "C2": AS_OF, "C3": dt.date(2026, 7, 6)}
    assert work["promise_status"].to_dict() == {"C1": "partly kept", "C2": "kept", "C3": "pending"}
    assert work["promise_shortfall"].fillna(-1).to_dict() == {"C1": 20000, "C2": -1, "C3": -1}  # -1: none
    assert work["last_letter"].to_dict() == {"C1": "", "C2": "Reminder", "C3": ""}
    # C3's open dispute on K2 was opened 06-29: 1 day; no reason was noted
    assert work["dispute_days"].fillna(-1).to_dict() == {"C1": -1, "C2": -1, "C3": 1}
    assert work["dispute_reason"].to_dict() == {"C1": "", "C2": "", "C3": "K2"}


def test_next_letter_waits_for_the_next_level() -> None:
    ledger = book()
    activity = pd.concat([ledger.activity, with_activity(ledger, [
        dict(date="2026-06-30", customer_id="C2", action="letter",
             note="Dunning letter level 2 (Second notice): J1")]).activity], ignore_index=True)
    work = worklist(dataclasses.replace(ledger, activity=activity), AS_OF).set_index("customer_id")
    # the Second notice went out today: the Final notice is due when J1 reaches 60 days, 05-31 + 60 = 07-30
    assert work.at["C2", "next_action"] == "Send Final notice"
    assert work.at["C2", "next_action_date"].date() == dt.date(2026, 7, 30)


def test_nothing_overdue_no_worklist_row() -> None:
    ledger = build_ledger(invoices=[dict(invoice_id="I1", customer_id="C1", invoice_date="2026-06-20",
                                         amount="10.00")])
    assert worklist(ledger, AS_OF).empty


def test_safe_formatter_fills_plain_names_only() -> None:
    text, unknown = SafeFormatter().render(
        "Dear {name}, {{literal}} {name.__class__} {items[0]} {name!r} {name:>9} {missing}", {"name": "Ann"})
    assert text == "Dear Ann, {literal} {name.__class__} {items[0]} {name!r} {name:>9} {missing}"
    assert unknown == ["{name.__class__}", "{items[0]}", "{name!r}", "{name:>9}", "{missing}"]
    broken, problems = SafeFormatter().render("unbalanced { brace", {})
    assert broken == "unbalanced { brace" and problems


def levels_table(*rows: tuple[int, int, str, int, str, str], gaps: tuple[int | None, ...] = ()) -> pd.DataFrame:
    """A DunningLevels frame as the loader makes it: (level, min_days, name, fee in cents, subject, template)."""
    table = pd.DataFrame({"level": [row[0] for row in rows], "min_days": [row[1] for row in rows],
                          "name": [row[2] for row in rows], "fee": [row[3] for row in rows],
                          "subject": [row[4] for row in rows], "template": [row[5] for row in rows],
                          "gap_days": list(gaps) or [None] * len(rows), "row": list(range(2, len(rows) + 2))})
    for name, dtype in DUNNING_COLUMNS.items():
        table[name] = table[name].astype(dtype)
    return table


def test_letters_with_templates_and_a_fee() -> None:
    table = levels_table(
        (1, 1, "Reminder", 0, "Reminder for {customer_name}", ""),
        (2, 45, "Final", 1500, "Final: {total_overdue} {currency}",
         "Dear {contact}: {items}\nTotal {total_overdue}. Fee {fee}. {oops} {contact.__dict__}"))
    ledger = dataclasses.replace(book(), dunning_levels=table)
    # C1 had a Reminder on 06-01 (after I2's due date 05-01, so it counts): the next letter is the Final
    ledger = add_activity(ledger, [dict(date="2026-06-01", customer_id="C1", action="letter",
                                        note="Reminder sent")])
    written = {letter.customer_id: letter for letter in letters(ledger, AS_OF)}
    # C2: its letter of 06-10 (J1 10 days late then: a Reminder) covers J1, which at 30 days is still below the
    # Final's 45: nothing to escalate to. C3: paused by its pending promise.
    assert sorted(written) == ["C1"]
    first = written["C1"]
    # C1: Final (45 days or more) lists only I2 (60 days: 300.00); I1 (10 days) is not of that level; I3 is
    # disputed; the fee 15.00 is charged on I2, the oldest listed invoice
    assert first.level == 2 and first.subject == "Final: 300.00 USD" and first.fee == 1500
    assert first.items["document_id"].tolist() == ["I2"] and first.fee_invoice == "I2"
    assert "I3" not in first.body and "I1 " not in first.body and "Dear Ann:" in first.body
    assert "Fee 15.00." in first.body
    assert "{oops} {contact.__dict__}" in first.body and len(first.warnings) == 2
