"""`python -m unifeed` runs the command line."""

from unifeed.cli import main

main()
