"""The bundled workbooks are exactly what the code generates now (``python workbooks/build.py``)."""

from __future__ import annotations

import importlib.util
import zipfile
from pathlib import Path

import pytest

from arxl.workbook import load_book

ROOT = Path(__file__).resolve().parents[1]


def _build_module():
    spec = importlib.util.spec_from_file_location("workbooks_build", ROOT / "workbooks" / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("workbooks")
    _build_module().build(folder)
    return folder


@pytest.mark.parametrize("name", ["ar_template.xlsx", "demo.xlsx"])
def test_committed_workbook_matches_the_code(fresh: Path, name: str) -> None:
    with zipfile.ZipFile(ROOT / "workbooks" / name) as committed, zipfile.ZipFile(fresh / name) as generated:
        committed_parts = {info.filename for info in committed.infolist()}
        generated_parts = {info.filename for info in generated.infolist()}
        assert committed_parts == generated_parts
        stale = [part for part in sorted(generated_parts)
                 if part != "docProps/core.xml" and committed.read(part) != generated.read(part)]
    assert stale == [], f"run `python workbooks/build.py`: {name} differs in {stale}"


def test_demo_book_loads_clean_with_its_as_of() -> None:
    result = load_book(ROOT / "workbooks" / "demo.xlsx")
    assert result.problems == []
    assert str(result.ledger.settings.as_of) == "2026-06-30"
    assert len(result.ledger.customers) == 60
    assert len(result.ledger.invoices) + len(result.ledger.voided) == 3000
