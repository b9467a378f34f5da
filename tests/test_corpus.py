"""The bad-input corpus in tests/corpus: every file gets its expected answer (rebuild: build_corpus.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from arxl.cli import main

CORPUS = Path(__file__).resolve().parent / "corpus"
EXPECTED: dict[str, dict[str, object]] = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))


def test_corpus_is_complete() -> None:
    files = {path.name for path in CORPUS.glob("*.xlsx")}
    assert files == set(EXPECTED)
    assert len(files) >= 40


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_file_gets_its_expected_answer(name: str) -> None:
    expected = EXPECTED[name]
    result = CliRunner().invoke(main, ["check", str(CORPUS / name), "--format", "json"])
    assert result.exit_code == expected["exit"], result.output
    if expected["exit"] == 2:
        assert str(expected["message"]) in result.output
        return
    problems = json.loads(result.output)
    matching = [p for p in problems
                if (p["severity"], p["sheet"], p["row"], p["column"]) ==
                (expected["severity"], expected["sheet"], expected["row"], expected["column"])
                and str(expected["message"]) in p["message"]]
    assert matching, json.dumps(problems, indent=1)
