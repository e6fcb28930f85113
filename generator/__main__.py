"""``python -m generator`` runs the ``factory`` command."""

from generator.cli import main

main()
