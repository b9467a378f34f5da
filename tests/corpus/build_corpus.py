"""Write the bad-input corpus: one small workbook per case and ``expected.json`` with what arxl must say.

    python tests/corpus/build_corpus.py

Cases come from the loader's located-problem list (tests/test_load.py BAD_INPUTS), the hostile packages
(tests/test_hostile.py HOSTILE) and a few whole-file cases. tests/test_corpus.py checks every file.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from books import base, write_book  # noqa: E402
from test_hostile import HOSTILE  # noqa: E402
from test_load import BAD_INPUTS  # noqa: E402

EXTRA = {
    "missing-customers-table": (lambda tables: tables.pop("Customers"),
                                ("error", "Customers", None, "", "no Customers table")),
    "all-three-tables-missing": (lambda tables: [tables.pop(name) for name in ("Invoices", "Payments")],
                                 ("error", "Payments", None, "", "no Payments table")),
    "duplicate-payment-id": (lambda tables: tables["Payments"][2].__setitem__(0, "P1"),
                             ("error", "Payments", 3, "payment_id", "duplicate (also row 2)")),
    "duplicate-customer-id": (lambda tables: tables["Customers"][2].__setitem__(0, "C1"),
                              ("error", "Customers", 3, "customer_id", "duplicate (also row 2)")),
    "customer-name-missing": (lambda tables: tables["Customers"][1].__setitem__(1, None),
                              ("error", "Customers", 2, "name", "required but empty")),
}


def build(folder: Path = HERE) -> dict[str, dict[str, object]]:
    expected: dict[str, dict[str, object]] = {}
    for name, mutation, (severity, sheet, row, column, words) in BAD_INPUTS:
        tables = base()
        mutation(tables)
        write_book(folder / f"{name}.xlsx", tables)
        expected[f"{name}.xlsx"] = {"exit": 1, "severity": severity, "sheet": sheet, "row": row, "column": column,
                                    "message": words}
    for name, (mutation, (severity, sheet, row, column, words)) in EXTRA.items():
        tables = base()
        mutation(tables)
        write_book(folder / f"{name}.xlsx", tables)
        expected[f"{name}.xlsx"] = {"exit": 1, "severity": severity, "sheet": sheet, "row": row, "column": column,
                                    "message": words}
    clean = write_book(folder / "_clean.xlsx", base())
    messages = {"xml-entity-expansion": "unsafe XML", "external-entity": "unsafe XML",
                "decompression-bomb": "decompression bomb", "truncated-zip": "damaged",
                "not-a-workbook-zip": "not an Excel workbook", "pdf-renamed": "not an Excel workbook",
                "encrypted-workbook": "encrypted", "empty-file": "not an Excel workbook",
                "huge-dimensions": "spans 1,048,576 rows"}
    for name, make in HOSTILE.items():
        path = make(clean, folder)
        target = folder / f"hostile-{name}.xlsx"
        path.rename(target)
        expected[target.name] = {"exit": 2, "message": messages[name]}
    clean.unlink()
    (folder / "expected.json").write_text(json.dumps(expected, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return expected


if __name__ == "__main__":
    print(f"wrote {len(build())} corpus files to {HERE}")
