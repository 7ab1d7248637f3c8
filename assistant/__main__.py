"""`python -m assistant` runs the `mentor` command."""

from assistant.interfaces.cli import main

main()
