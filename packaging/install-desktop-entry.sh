#!/usr/bin/env bash
# Put Dossier in the desktop's application menu for the current user (Linux, freedesktop).
# Run it after installing Dossier, so that `dossier` is on PATH:
#   bash packaging/install-desktop-entry.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
data="${XDG_DATA_HOME:-$HOME/.local/share}"
command -v dossier >/dev/null || { echo "dossier is not on PATH: install Dossier first (see README.md)" >&2; exit 2; }
install -Dm644 "$here/dossier.desktop" "$data/applications/dossier.desktop"
install -Dm644 "$here/../resources/icons/dossier.svg" "$data/icons/hicolor/scalable/apps/dossier.svg"
command -v update-desktop-database >/dev/null && update-desktop-database "$data/applications" || true
echo "Dossier is in the application menu ($data/applications/dossier.desktop)"
