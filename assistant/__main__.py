"""`python -m assistant` runs the `mentor` command."""

from assistant.cli import main

main()
