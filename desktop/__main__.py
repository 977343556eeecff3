"""``python -m desktop``: the same as the ``dossier`` command."""

import sys

from desktop.cli import main

sys.exit(main())
