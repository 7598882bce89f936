"""``python -m cascade`` runs the ``cascade`` command."""

import sys

from cascade.cli import main

sys.exit(main())
