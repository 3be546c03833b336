"""``python -m ropa``: the command-line interface."""

import sys

from ropa.cli import main

sys.exit(main())
