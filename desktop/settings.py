"""The user's preferences and remembered window state, kept as JSON in the config folder.

Qt-free: the window stores its geometry here as text. A damaged settings file is set aside
and replaced by defaults rather than stopping the application.
"""

from __future__ import annotations

import getpass
import json
import os
import tempfile
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from desktop.paths import settings_file

RECENT_LIMIT = 10


def default_annotator() -> str:
    """The operating system's user name, the annotator a new installation starts as."""
    try:
        return getpass.getuser() or "analyst"
    except Exception:  # getuser raises when no user name can be found at all
        return "analyst"


@dataclass
class Settings:
    annotator: str = field(default_factory=default_annotator)
    font_family: str = ""  # empty: the system's default text font
    font_size: int = 12
    snap_to_tokens: bool = True
    recent_projects: list[str] = field(default_factory=list)
    window_geometry: str = ""  # base64 of QMainWindow.saveGeometry()
    window_state: str = ""  # base64 of QMainWindow.saveState()
    last_document: dict[str, int] = field(default_factory=dict)  # project -> document id
    scroll_positions: dict[str, int] = field(default_factory=dict)  # "project|document" -> offset
    last_model: str = ""  # the folder of the model trained last

    @classmethod
    def load(cls, path: Path | None = None) -> Settings:
        path = path or settings_file()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError):
            _set_aside(path)
            return cls()
        if not isinstance(data, dict):
            _set_aside(path)
            return cls()
        known = {f.name for f in fields(cls)}
        settings = cls()
        for key, value in data.items():
            if key in known and _same_kind(getattr(settings, key), value):
                setattr(settings, key, value)
        return settings

    def save(self, path: Path | None = None) -> None:
        """Write the settings atomically (a crash never leaves half a file)."""
        path = path or settings_file()
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".settings.", dir=path.parent)
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(asdict(self), stream, ensure_ascii=False, indent=2)
        os.replace(temporary, path)

    def remember_project(self, location: str) -> None:
        """Put a project first in the recent list."""
        self.recent_projects = [location] + [p for p in self.recent_projects if p != location]
        del self.recent_projects[RECENT_LIMIT:]


def _same_kind(default: Any, value: Any) -> bool:
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, int):
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, type(default))


def _set_aside(path: Path) -> None:
    try:
        path.replace(path.with_name(path.name + ".damaged"))
    except OSError:
        pass
