"""Verbs: one orchestration per thing a user does, called by every face (the command line, the ribbon, scripts).

``create`` (new and demo books), ``check``, ``refresh``, ``statements`` (open-item and activity statements, sheets
and PDFs), ``apply`` (propose, accept), ``charges`` (late fees and finance charges: propose, accept),
``importing``, ``export``, ``letters`` (written and logged) and ``credit`` (the credit what-if). Each returns a
small frozen result object and prints nothing (progress goes to an optional callback); bad data comes back as
problems, or as ``ValidationFailed`` carrying them when nothing can be done. Only the book differs between the
faces: a file on disk or a live Excel book, both from ``books`` and both keeping the contract of
``refresh.BookAdapter``, where a verb that writes ends with one ``commit`` (rows appended to the user's tables and
generated sheets written, together). The as-of date is ``arxl.dates.resolve_as_of``'s: the one given, else Settings
``as_of``, else the ``today`` the face passes. ``functions`` serves the worksheet functions.
"""
