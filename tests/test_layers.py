"""The layers of DESIGN.md section 1, checked on the source: faces never reach into ``arxl.workbook``, the core
never imports a reader or writer library (so it also runs where none is installed, as in Pyodide), the core
really computes with those libraries out of reach, and the command line starts without them or pandas.

Imports are found by parsing each file with ``ast``: every ``import`` and ``from ... import`` wherever it sits
(inside functions and ``if TYPE_CHECKING:`` blocks too), relative ones resolved against the module's package,
and ``importlib.import_module("...")`` / ``__import__("...")`` calls with a literal name.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "arxl"
READER_LIBRARIES = ("openpyxl", "python_calamine", "fastexcel", "xlwings")
BLOCKED_IN_SUBPROCESS = ("fastexcel", "python_calamine", "openpyxl")
WORKBOOK = "arxl.workbook"


def _module_name(path: Path) -> str:
    """``arxl/render/sheets.py`` -> ``arxl.render.sheets``; ``udfs/arxl_udfs.py`` -> ``arxl_udfs``."""
    if PACKAGE not in path.parents:
        return path.stem
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> set[str]:
    """Every module the file at ``path`` imports, by its absolute name."""
    return imports_in(path.read_text(encoding="utf-8"), _module_name(path), is_package=path.name == "__init__.py")


def imports_in(source: str, module: str, *, is_package: bool = False) -> set[str]:
    """Every module the source of ``module`` imports; ``from a import b`` gives ``a`` and ``a.b`` (b may be a
    submodule)."""
    package = module.split(".") if is_package else module.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            imported = ".".join([*base, *([node.module] if node.module else [])])
            found.add(imported)
            found.update(f"{imported}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str):
            called = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if called in ("import_module", "__import__"):
                found.add(node.args[0].value)
    return found


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def face_files() -> list[Path]:
    return sorted([*(PACKAGE / "cli").glob("*.py"), *(ROOT / "udfs").glob("*.py"),
                   *(ROOT / "macros").glob("*.py"), *(ROOT / "lite").glob("*.py")])


def core_files() -> list[Path]:
    flat = [path for path in PACKAGE.glob("*.py") if path.name not in ("__init__.py", "__main__.py")]
    return sorted([*flat, *(PACKAGE / "render").glob("*.py"), *(PACKAGE / "imports").glob("*.py")])


def test_the_import_finder_sees_every_kind_of_import() -> None:
    source = textwrap.dedent("""
        import importlib
        from typing import TYPE_CHECKING

        from .. import workbook
        from .common import DATE

        if TYPE_CHECKING:
            from ..workbook.book import FileBook

        def command():
            import openpyxl.styles
            from ..workbook.save import book_lock
            importlib.import_module("python_calamine")
            __import__("fastexcel")
    """)
    found = imports_in(source, "arxl.cli.example")
    assert {"arxl.workbook", "arxl.cli.common", "arxl.workbook.book", "openpyxl.styles", "arxl.workbook.save",
            "python_calamine", "fastexcel"} <= found
    assert imports_in("from . import read", "arxl.workbook", is_package=True) >= {"arxl.workbook.read"}


def test_the_layers_cover_every_face_and_core_module() -> None:
    faces = {_module_name(path) for path in face_files()}
    core = {_module_name(path) for path in core_files()}
    assert {"arxl.cli", "arxl.cli.book", "arxl.cli.addin", "arxl_udfs", "arxl_macros", "main"} <= faces
    assert {"arxl.settle", "arxl.aging", "arxl.excel", "arxl.render.sheets", "arxl.imports"} <= core
    assert not any(_within(module, "arxl.workbook") or _within(module, "arxl.verbs") for module in core)


def test_faces_never_import_the_workbook_adapters() -> None:
    offenders = {_module_name(path): sorted(module for module in imported_modules(path)
                                            if _within(module, WORKBOOK))
                 for path in face_files()}
    assert {face: modules for face, modules in offenders.items() if modules} == {}


def test_the_core_imports_no_reader_writer_or_workbook_module() -> None:
    offenders = {}
    for path in core_files():
        bad = sorted(module for module in imported_modules(path)
                     if module.split(".")[0] in READER_LIBRARIES or _within(module, WORKBOOK))
        if bad:
            offenders[_module_name(path)] = bad
    assert offenders == {}


def test_the_core_computes_with_the_reader_libraries_out_of_reach() -> None:
    """A fresh interpreter where importing fastexcel, python-calamine or openpyxl fails, as in Pyodide.

    One customer, terms 30 days. I1 2026-01-01 100.00 (due 2026-01-31); I2 2026-02-01 50.00 due 2026-03-03;
    P1 2026-02-15 120.00 naming I1. As of 2026-04-01: P1 pays I1's 100.00 (step 3, its own invoice) and the
    remaining 20.00 goes to I2 (step 4, oldest due first), which stays open for 50.00 - 20.00 = 30.00, that is
    3000 cents, 29 days past due (2026-03-03 -> 2026-04-01: 28 days to March 31, one more) -> bucket 1-30.
    """
    core = [_module_name(path) for path in core_files()]
    script = textwrap.dedent(f"""
        import datetime as dt
        import importlib
        import json
        import sys

        class RefuseReaders:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in {BLOCKED_IN_SUBPROCESS!r}:
                    raise ImportError(f"{{name}} is not installed here")
                return None

        sys.meta_path.insert(0, RefuseReaders())
        import arxl
        for module in {core!r}:
            importlib.import_module(module)
        from arxl.load import load_tables, raw_table_from_rows

        D = dt.date
        tables = {{
            "Settings": [["key", "value"], ["reporting_currency", "USD"]],
            "Customers": [["customer_id", "name", "terms_days", "currency"], ["C1", "Acme Ltd", 30, "USD"]],
            "Invoices": [["invoice_id", "customer_id", "invoice_date", "amount", "due_date"],
                         ["I1", "C1", D(2026, 1, 1), 100.0, None],
                         ["I2", "C1", D(2026, 2, 1), 50.0, D(2026, 3, 3)]],
            "Payments": [["payment_id", "customer_id", "payment_date", "amount", "invoice_id"],
                         ["P1", "C1", D(2026, 2, 15), 120.0, "I1"]],
        }}
        loaded = load_tables({{name: raw_table_from_rows(name, rows) for name, rows in tables.items()}})
        as_of = D(2026, 4, 1)
        settlement = arxl.settle(loaded.ledger, as_of)
        report = arxl.aging(loaded.ledger, as_of, settlement=settlement)
        print(json.dumps({{
            "problems": [problem.message for problem in loaded.problems],
            "applied": sorted([row["source_id"], row["invoice_id"], int(row["amount"])]
                              for row in settlement.applications.to_dict("records")),
            "open": [[row["document_id"], int(row["open_amount"]), int(row["days_past_due"]), row["bucket"]]
                     for row in report.detail.to_dict("records")],
            "total": int(report.summary["Total"].sum()),
            "loaded": sorted(name for name in {BLOCKED_IN_SUBPROCESS!r} + ("xlwings",) if name in sys.modules),
        }}))
    """)
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT,
                               timeout=300, check=False)
    assert completed.returncode == 0, completed.stderr
    result = json.loads(completed.stdout)
    assert result["problems"] == []
    assert result["applied"] == [["P1", "I1", 10000], ["P1", "I2", 2000]]
    assert result["open"] == [["I2", 3000, 29, "1-30"]]
    assert result["total"] == 3000
    assert result["loaded"] == []


def test_the_command_line_starts_without_pandas_or_the_readers() -> None:
    """``arxl --help`` lists every command: building them must not load pandas or a reader (each command loads
    what it needs when it runs)."""
    heavy = ("pandas", "pyarrow", *READER_LIBRARIES)
    script = textwrap.dedent(f"""
        import sys
        import arxl.cli
        print(sorted(name for name in {heavy!r} if name in sys.modules))
    """)
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT,
                               timeout=300, check=False)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "[]"


def test_the_xlwings_lite_face_works_with_the_reader_libraries_out_of_reach() -> None:
    """``import arxl`` and lite/main.py's functions where fastexcel, python-calamine and openpyxl cannot be
    imported, as in Pyodide, called as xlwings Lite calls them (dates as serial numbers, whole numbers as int).

    The example of the test above: I1 2026-01-01 (serial 46023) 100, I2 2026-02-01 (46054) 50 due 2026-03-03
    (46084: 2026-03-01 is 46082), P1 2026-02-15 (46068) 120 naming I1; as of 2026-04-01 (46113) C1 owes
    50 - 20 = 30.00, 29 days past due -> bucket 1-30.
    """
    script = textwrap.dedent(f"""
        import json
        import sys

        class RefuseReaders:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in {BLOCKED_IN_SUBPROCESS!r}:
                    raise ImportError(f"{{name}} is not installed here")
                return None

        sys.meta_path.insert(0, RefuseReaders())
        import arxl
        sys.path[:0] = ["lite", "udfs", "macros"]
        import main as lite

        tables = {{
            "customers": [["customer_id", "name", "terms_days", "currency"], ["C1", "Acme Ltd", 30, "USD"]],
            "invoices": [["invoice_id", "customer_id", "invoice_date", "amount", "due_date"],
                         ["I1", "C1", 46023, 100, None], ["I2", "C1", 46054, 50, 46084]],
            "payments": [["payment_id", "customer_id", "payment_date", "amount", "invoice_id"],
                         ["P1", "C1", 46068, 120, "I1"]],
        }}
        print(json.dumps({{
            "aging": lite.AR_AGING(**tables, as_of=46113),
            "balance": lite.AR_BALANCE("C1", **tables, as_of=46113),
            "loaded": sorted(name for name in {BLOCKED_IN_SUBPROCESS!r} if name in sys.modules),
        }}))
    """)
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT,
                               timeout=300, check=False)
    assert completed.returncode == 0, completed.stderr
    result = json.loads(completed.stdout)
    assert result["aging"] == [
        ["customer_id", "name", "Current", "1-30", "31-60", "61-90", "Over 90", "Unapplied", "Total"],
        ["C1", "Acme Ltd", 0.0, 30.0, 0.0, 0.0, 0.0, 0.0, 30.0]]
    assert result["balance"] == 30.0
    assert result["loaded"] == []
