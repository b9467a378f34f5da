"""The ``arxl`` command: a thin shell over the verbs that turns domain errors into messages and exit codes.

One module per command group (``book``: new, demo, check, refresh, statements; ``report``; ``data``: import,
export; ``collections``: letters, apply, charges, report worklist/forecast; ``risk``: report allowance/credit;
``credits``: small-balances, report credits;
``controls``: audit, close; ``addin``: install, remove, status), all sharing ``common`` (exit codes, consoles,
error handling). This module only assembles the group, so nothing
imports it back.
"""

from __future__ import annotations

import click

from . import addin, book, collections, controls, credits, data, report, risk


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.version_option(package_name="arxl")
def main() -> None:
    """arxl: Accounts Receivable in an Excel workbook.

    \b
    Start:   arxl new ar.xlsx        (a blank workbook)   or   arxl demo demo.xlsx
    Check:   arxl check ar.xlsx      (every problem, with sheet, row and column)
    Reports: arxl report aging ar.xlsx --format csv
    """



for command in (book.new, book.demo, book.check, book.refresh, book.statements, data.import_command,
                data.export_command, collections.letters, collections.apply, collections.charges,
                credits.small_balances, controls.audit, controls.close):
    main.add_command(command)
main.add_command(report.report)
main.add_command(addin.addin)
collections.register(report.report)
risk.register(report.report)
credits.register(report.report)
