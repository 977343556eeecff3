#!/usr/bin/env bash
# Build Dossier for macOS: dist/Dossier.app (bundle identifier org.dossierapp.Dossier, icon
# packaging/icons/dossier.icns) and dist/Dossier-VERSION-macos-ARCH.dmg.
# Run in a clean checkout on a Mac with Python 3.10 or newer (python.org's or Homebrew's):
#   bash packaging/macos/build.sh
# PyInstaller signs the bundle ad hoc, which Apple silicon needs to run it; to hand it to
# others, sign it with a Developer ID and notarise it (see packaging/README.md).
set -euo pipefail
cd "$(dirname "$0")/../.."

python3 -m venv .venv-bundle
.venv-bundle/bin/pip install -e ".[bundle]"
.venv-bundle/bin/python packaging/build.py --no-deb

# The bundle must start: the command line lives inside the .app.
version=$(dist/Dossier.app/Contents/MacOS/dossier --version)
number=${version#dossier }
dmg="dist/Dossier-$number-macos-$(uname -m).dmg"
rm -f "$dmg"
hdiutil create -volname Dossier -srcfolder dist/Dossier.app -ov -format UDZO "$dmg"
echo "$version: $dmg"
