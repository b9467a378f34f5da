"""``arxl report ...``: the engine's figures in shapes other tools rely on (csv, json) or for people (table)."""

from __future__ import annotations

import click

report = click.Group("report", help="Print a report computed from the workbook (no file is changed).")
