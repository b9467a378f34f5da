"""The public namespace is exactly ``arxl.__all__`` (as httpx checks its own)."""

from __future__ import annotations

import arxl


def test_all_names_exist_and_are_sorted() -> None:
    assert sorted(arxl.__all__) == sorted(set(arxl.__all__))
    for name in arxl.__all__:
        assert hasattr(arxl, name), name


def test_no_public_name_outside_all() -> None:
    # dir(), not vars(): the public names are bound lazily, on first use (PEP 562).
    public = {name for name in dir(arxl)
              if not name.startswith("_") and not isinstance(getattr(arxl, name), type(arxl))}
    assert public == set(arxl.__all__)
