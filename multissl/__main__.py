"""``python -m multissl`` runs the command line."""

import sys

from multissl.cli import main

sys.exit(main())
