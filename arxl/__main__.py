"""``python -m arxl`` runs the command line."""

from .cli import main

main()
