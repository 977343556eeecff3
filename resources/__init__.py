"""Files Dossier ships with: label defaults, lexicons, icons, style and sample articles."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent


def path(*parts: str) -> Path:
    """The path of a bundled resource, e.g. ``path("samples")``."""
    return ROOT.joinpath(*parts)


@cache
def label_defaults() -> dict[str, Any]:
    """The labels a new project starts with, and the colours handed to labels added later."""
    with path("labels.json").open(encoding="utf-8") as handle:
        return json.load(handle)
