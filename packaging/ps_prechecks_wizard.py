"""Frozen entry point of the desktop wizard (the `ps-prechecks-wizard` gui-script)."""

import sys

from gui.app import main

if __name__ == "__main__":
    sys.exit(main())
