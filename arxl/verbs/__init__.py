"""Verbs: one orchestration per thing a user does (refresh, check, apply, import, export, statements, letters).

Each returns a result object and prints nothing; the command line, the ribbon and the library call the same
function, and only the ``BookAdapter`` differs (a file on disk, or a live Excel book).
"""
