"""``python -m matchkracht`` runs the command line."""

import sys

from matchkracht.cli import main

sys.exit(main())
