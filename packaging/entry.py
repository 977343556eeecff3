"""The bundle's entry point (PyInstaller freezes this script).

One script serves both executables of a bundle: ``dossier`` runs the command line (with no
command, the window), and ``dossier-gui``, the windowed executable on Windows and macOS,
opens the window on the default project, as the ``dossier-gui`` of a pip install does.
"""

import sys
from pathlib import Path

from desktop.cli import gui_main, main

if __name__ == "__main__":
    if Path(sys.executable).stem.lower() == "dossier-gui":
        sys.exit(gui_main())
    sys.exit(main())
