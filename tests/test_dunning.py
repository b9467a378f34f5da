"""Dunning that respects the account, on small hand-made books: a pending promise pauses letters, levels escalate
one step at a time from the last letter sent with a gap between letters, each letter's wording fits the items
it lists, and promises are judged on the invoice they name. Figures are worked by hand in the comments (money
in cents in the asserts); the default levels are 1, 30, 60 and 90 days (Reminder, Second notice, Final notice,
Collections), the default gap 14 days and the default grace after a promised date 3 days."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd

from arxl.collections import letters, worklist
from arxl.ledger import Ledger
from arxl.receivables import promises
from tests.builders import build_ledger
from tests.test_collections import add_activity, levels_table, with_activity

AS_OF = dt.date(2026, 6, 30)


def late_book(**settings: object) -> Ledger:
    """C1 (contact Ann): I1 1,000.00 due 03-31 (91 days past due at 06-30), I2 200.00 due 05-31 (30 days)."""
    return build_ledger(
        customers=[dict(customer_id="C1", name="Acme Ltd", contact="Ann", email="ap@acme.test")],
        invoices=[dict(invoice_id="I1", customer_id="C1", invoice_date="2026-03-01", due_date="2026-03-31",
                       amount="1000.00"),
                  dict(invoice_id="I2", customer_id="C1", invoice_date="2026-05-01", due_date="2026-05-31",
                       amount="200.00")],
        company_name="Test Co", company_email="ar@test-co.example", **settings)


def logged(ledger: Ledger, day: str, level: int, name: str) -> Ledger:
    """``ledger`` with a letter of ``level`` logged on ``day``, as arxl letters logs it."""
    return add_activity(ledger, [dict(date=day, customer_id="C1", invoice_id="I1", action="letter",
                                      note=f"Dunning letter level {level} ({name}): I1")])


def one_letter(ledger: Ledger, as_of: dt.date):
    written = letters(ledger, as_of)
    assert len(written) <= 1
    return written[0] if written else None


# --- a pending promise pauses dunning ---------------------------------------------------------------------------

def test_no_letter_to_a_customer_with_a_pending_promise() -> None:
    # On 06-25 C1 promised to pay in full (1,200.00) by 07-10, naming no invoice: the whole account is paused
    # while the promise is pending, that is up to its last day 07-10 + 3 = 07-13.
    ledger = with_activity(late_book(), [dict(date="2026-06-25", customer_id="C1", action="promise",
                                              promised_date="2026-07-10", promised_amount="1200.00")])
    assert letters(ledger, AS_OF) == []
    assert letters(ledger, dt.date(2026, 7, 13)) == []
    work = worklist(ledger, AS_OF).set_index("customer_id")
    assert work.at["C1", "next_action"] == "Check promised payment"
    assert work.at["C1", "next_action_date"].date() == dt.date(2026, 7, 14)  # the day after the last day
    # On 07-14 nothing has come: the promise is broken and the first letter goes out, listing both items.
    late = one_letter(ledger, dt.date(2026, 7, 14))
    assert late is not None and late.level == 1 and late.items["document_id"].tolist() == ["I1", "I2"]
    assert promises(ledger, dt.date(2026, 7, 14))["status"].tolist() == ["broken"]


def test_a_promise_naming_an_invoice_pauses_only_that_invoice() -> None:
    ledger = with_activity(late_book(), [dict(date="2026-06-25", customer_id="C1", invoice_id="I1",
                                              action="promise", promised_date="2026-07-10",
                                              promised_amount="1000.00")])
    letter = one_letter(ledger, AS_OF)
    # I1 is paused; I2 (30 days) gets the first letter, a Reminder for 200.00
    assert letter is not None and letter.items["document_id"].tolist() == ["I2"]
    assert letter.totals == {"USD": 20000} and letter.level == 1


def test_a_kept_promise_does_not_pause_what_it_did_not_pay() -> None:
    # C1 promised 200.00 for I2 by 06-20 and paid it on 06-19 (referencing I2): kept. I1 is still 91 days late.
    ledger = dataclasses.replace(late_book(), payments=build_ledger(
        payments=[dict(payment_id="P1", customer_id="C1", payment_date="2026-06-19", amount="200.00",
                       invoice_id="I2")]).payments)
    ledger = with_activity(ledger, [dict(date="2026-06-10", customer_id="C1", invoice_id="I2", action="promise",
                                         promised_date="2026-06-20", promised_amount="200.00")])
    assert promises(ledger, AS_OF)["status"].tolist() == ["kept"]
    letter = one_letter(ledger, AS_OF)
    assert letter is not None and letter.items["document_id"].tolist() == ["I1"]


# --- one step at a time ----------------------------------------------------------------------------------------

def test_levels_escalate_one_step_at_a_time_from_the_last_letter_sent() -> None:
    ledger = late_book()
    # No letter was ever sent: the first is the Reminder, though I1 is 91 days late (it would reach Collections).
    first = one_letter(ledger, AS_OF)
    assert first is not None and (first.level, first.level_name) == (1, "Reminder")
    assert first.items["document_id"].tolist() == ["I1", "I2"]  # both reached level 1 or beyond
    ledger = logged(ledger, "2026-06-30", 1, "Reminder")
    # 10 days later the gap (14 days) has not passed: nothing; the worklist says when.
    assert one_letter(ledger, dt.date(2026, 7, 10)) is None
    work = worklist(ledger, dt.date(2026, 7, 10)).set_index("customer_id")
    assert work.at["C1", "next_action"] == "Send Second notice"
    assert work.at["C1", "next_action_date"].date() == dt.date(2026, 7, 14)  # 06-30 + 14
    assert work.at["C1", "last_letter"] == "Reminder"
    # 07-14: the Second notice, not the Final notice nor Collections (I1 is 105 days late by then)
    second = one_letter(ledger, dt.date(2026, 7, 14))
    assert second is not None and (second.level, second.level_name) == (2, "Second notice")
    ledger = logged(ledger, "2026-07-14", 2, "Second notice")
    third = one_letter(ledger, dt.date(2026, 7, 28))
    assert third is not None and third.level == 3
    ledger = logged(ledger, "2026-07-28", 3, "Final notice")
    fourth = one_letter(ledger, dt.date(2026, 8, 11))
    assert fourth is not None and fourth.level == 4
    ledger = logged(ledger, "2026-08-11", 4, "Collections")
    # The top level was sent: no more letters, a call 14 days after the last contact.
    assert one_letter(ledger, dt.date(2026, 9, 30)) is None
    work = worklist(ledger, dt.date(2026, 8, 20)).set_index("customer_id")
    assert work.at["C1", "next_action"] == "Call: final follow-up"
    assert work.at["C1", "next_action_date"].date() == dt.date(2026, 8, 25)  # 08-11 + 14


def test_the_gap_between_letters_from_settings_and_from_dunning_levels() -> None:
    ledger = logged(late_book(dunning_gap_days=5), "2026-06-30", 1, "Reminder")
    assert one_letter(ledger, dt.date(2026, 7, 4)) is None  # 4 days
    assert one_letter(ledger, dt.date(2026, 7, 5)).level == 2  # 5 days
    # DunningLevels gap_days says otherwise for level 2: 21 days before a second notice
    table = levels_table((1, 1, "Reminder", 0, "", ""), (2, 30, "Second notice", 0, "", ""), gaps=(None, 21))
    ledger = dataclasses.replace(ledger, dunning_levels=table)
    assert one_letter(ledger, dt.date(2026, 7, 20)) is None  # 20 days
    assert one_letter(ledger, dt.date(2026, 7, 21)).level == 2


def test_a_customer_who_paid_everything_starts_again_at_the_first_level() -> None:
    # The Collections letter of 2026-01-15 was about debts paid since: it was sent before I1 fell due (03-31),
    # so it does not count and the next letter is a Reminder again.
    ledger = logged(late_book(), "2026-01-15", 4, "Collections")
    letter = one_letter(ledger, AS_OF)
    assert letter is not None and letter.level == 1


def test_a_letter_lists_the_items_of_its_level_and_says_what_is_true_of_them() -> None:
    # The last letter, on 06-01, was the Final notice (level 3). Now the next is Collections (level 4, 90 days):
    # I1 (91 days) reached it; I2 (30 days) and I3 (due 06-24, 6 days) did not, so they are not listed.
    ledger = dataclasses.replace(late_book(), invoices=build_ledger(invoices=[
        dict(invoice_id="I1", customer_id="C1", invoice_date="2026-03-01", due_date="2026-03-31",
             amount="1000.00"),
        dict(invoice_id="I2", customer_id="C1", invoice_date="2026-05-01", due_date="2026-05-31", amount="200.00"),
        dict(invoice_id="I3", customer_id="C1", invoice_date="2026-05-25", due_date="2026-06-24", amount="50.00"),
    ]).invoices)
    ledger = logged(ledger, "2026-06-01", 3, "Final notice")
    letter = one_letter(ledger, AS_OF)
    assert letter is not None and (letter.level, letter.level_name) == (4, "Collections")
    assert letter.items["document_id"].tolist() == ["I1"] and letter.totals == {"USD": 100000}
    assert "90 days or more past due" in letter.body  # {min_days} of the level, true of the item listed
    assert "Total overdue: 1,000.00 USD" in letter.body and "I2" not in letter.body and "I3" not in letter.body
    assert letter.body.rstrip().endswith("Kind regards,\nTest Co")


def test_letters_are_signed_as_settings_say() -> None:
    ledger = late_book(letter_signature="Maria Lopez\nCredit Control, Test Co")
    letter = one_letter(ledger, AS_OF)
    assert letter is not None
    assert letter.body.rstrip().endswith("Kind regards,\nMaria Lopez\nCredit Control, Test Co")


# --- promises judged on what they named ------------------------------------------------------------------------

def promise_book(payment: dict[str, str], promise: dict[str, str]) -> Ledger:
    """C0017 owes INV-002370 1,517.75 (due 05-15) and INV-002371 1,517.75 (due 05-20); on 06-01 it promised
    1,517.75 by 06-15 (last day with the grace: 06-18)."""
    ledger = build_ledger(
        invoices=[dict(invoice_id="INV-002370", customer_id="C0017", invoice_date="2026-04-15",
                       due_date="2026-05-15", amount="1517.75"),
                  dict(invoice_id="INV-002371", customer_id="C0017", invoice_date="2026-04-20",
                       due_date="2026-05-20", amount="1517.75")],
        payments=[dict(payment_id="P1", customer_id="C0017", **payment)])
    return with_activity(ledger, [dict(date="2026-06-01", customer_id="C0017", action="promise",
                                       promised_date="2026-06-15", promised_amount="1517.75", **promise)])


def judged(ledger: Ledger) -> pd.Series:
    return promises(ledger, AS_OF).iloc[0]


def test_a_promise_paid_on_a_different_invoice_is_broken() -> None:
    ledger = promise_book(dict(payment_date="2026-06-12", amount="1517.75", invoice_id="INV-002371"),
                          dict(invoice_id="INV-002370"))
    promise = judged(ledger)
    # the 1,517.75 went to INV-002371: nothing was settled on INV-002370 from 06-01 to 06-18
    assert (promise["status"], promise["paid"], promise["shortfall"]) == ("broken", 0, 151775)
    assert worklist(ledger, AS_OF).iloc[0]["broken_promises"] == 1


def test_a_promise_partly_paid_on_its_invoice_is_partly_kept() -> None:
    ledger = promise_book(dict(payment_date="2026-06-12", amount="500.00", invoice_id="INV-002370"),
                          dict(invoice_id="INV-002370"))
    promise = judged(ledger)
    # 1,517.75 - 500.00 = 1,017.75 short
    assert (promise["status"], promise["paid"], promise["shortfall"]) == ("partly kept", 50000, 101775)


def test_an_account_promise_is_kept_by_the_amount_whatever_it_paid() -> None:
    ledger = promise_book(dict(payment_date="2026-06-12", amount="1517.75", invoice_id="INV-002371"), {})
    assert judged(ledger)["status"] == "kept"


def test_the_grace_days_after_the_promised_date() -> None:
    # paid 3 days after the promised date (06-18): kept; 4 days after (06-19): broken
    on_time = promise_book(dict(payment_date="2026-06-18", amount="1517.75", invoice_id="INV-002370"),
                           dict(invoice_id="INV-002370"))
    assert judged(on_time)["status"] == "kept"
    late = promise_book(dict(payment_date="2026-06-19", amount="1517.75", invoice_id="INV-002370"),
                        dict(invoice_id="INV-002370"))
    assert (judged(late)["status"], judged(late)["paid"]) == ("broken", 0)
