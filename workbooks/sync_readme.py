"""Rewrite the README's contract block from ``arxl.contract``: ``python workbooks/sync_readme.py``."""

from __future__ import annotations

import re
from pathlib import Path

from arxl.contract import contract_markdown

README = Path(__file__).resolve().parents[1] / "README.md"

if __name__ == "__main__":
    text = README.read_text(encoding="utf-8")
    block = f"<!-- contract:start -->\n{contract_markdown()}\n<!-- contract:end -->"
    README.write_text(re.sub(r"<!-- contract:start -->.*?<!-- contract:end -->", lambda _m: block, text,
                             flags=re.S), encoding="utf-8")
    print(f"updated {README}")
