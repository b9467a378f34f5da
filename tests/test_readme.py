"""The README stays in step with the code it documents."""

from __future__ import annotations

import re
from pathlib import Path

from arxl.contract import contract_markdown

ROOT = Path(__file__).resolve().parents[1]


def test_readme_contract_tables_are_generated_from_the_contract() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- contract:start -->\n(.*?)\n<!-- contract:end -->", text, re.S)
    assert block is not None
    assert block.group(1) == contract_markdown(), "regenerate the README's contract block from contract_markdown()"


def test_readme_opens_with_the_two_commands_ci_runs() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    first_block = re.search(r"```bash\n(.*?)\n```", text, re.S)
    assert first_block is not None
    install_and_run, tests = first_block.group(1).splitlines()
    assert install_and_run.startswith("pip install -e . && arxl refresh ")
    assert "workbooks/demo.xlsx" in install_and_run
    assert tests in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
