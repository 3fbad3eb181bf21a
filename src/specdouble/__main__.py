"""``python -m specdouble`` runs the CLI."""

import sys

from specdouble.cli import main

sys.exit(main())
