"""Where the default project, the settings and the logs live (platformdirs).

``DOSSIER_HOME`` puts all three under one folder (tests and portable installs use it);
``DOSSIER_DB`` names the project to open instead of the default one.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "Dossier"


def _home() -> Path | None:
    value = os.environ.get("DOSSIER_HOME")
    return Path(value).expanduser() if value else None


def data_dir() -> Path:
    """The folder that holds the default project."""
    home = _home()
    return home / "data" if home else Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def config_dir() -> Path:
    """The folder that holds the settings file."""
    home = _home()
    return (
        home / "config" if home else Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))
    )


def log_dir() -> Path:
    home = _home()
    return home / "logs" if home else Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


def default_project() -> Path:
    """The SQLite file that ``dossier`` opens when no ``--db`` or ``DOSSIER_DB`` is given."""
    return data_dir() / "dossier.db"


def project_location(db: str | None = None) -> str:
    """The project to open: ``db`` if given, else ``DOSSIER_DB``, else the default project."""
    return db or os.environ.get("DOSSIER_DB") or str(default_project())


def settings_file() -> Path:
    return config_dir() / "settings.json"
