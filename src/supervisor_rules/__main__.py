"""``python -m supervisor_rules`` runs the ``supervisor-rules`` command line."""

import sys

from supervisor_rules.cli import main

if __name__ == "__main__":
    sys.exit(main())
