"""Option choices read from the library only when a command needs them, so that building the command line
(``arxl --help`` lists every command) imports no pandas."""

from __future__ import annotations

import importlib
from functools import cached_property

import click


class LazyChoice(click.Choice):
    """A ``click.Choice`` of the names in a registry of another module, given as ``"module:attribute"``
    (``"arxl.imports:PROFILES"``): read when the command's options are parsed or its help is shown."""

    def __init__(self, registry: str, case_sensitive: bool = True) -> None:
        self.registry = registry
        self.case_sensitive = case_sensitive

    @cached_property
    def choices(self) -> tuple[str, ...]:  # type: ignore[override]
        module, attribute = self.registry.split(":")
        return tuple(getattr(importlib.import_module(module), attribute))
