"""Frozen entry point of the command-line tool (the `ps-prechecks` console script)."""

import sys

from prechecks.cli import main

if __name__ == "__main__":
    sys.exit(main())
