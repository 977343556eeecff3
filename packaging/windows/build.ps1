# Build Dossier for Windows: dist\dossier\ (dossier.exe, the command line; dossier-gui.exe,
# the window without a console) and dist\Dossier-VERSION-windows-ARCH.zip.
# Run from anywhere in a clean checkout, in PowerShell, with Python 3.10 or newer on PATH:
#   powershell -ExecutionPolicy Bypass -File packaging\windows\build.ps1
# The icon is packaging\icons\dossier.ico (made by packaging\make_icons.py, kept in git).
$ErrorActionPreference = "Stop"
$root = Resolve-Path (Join-Path $PSScriptRoot "..\..")
Set-Location $root

python -m venv .venv-bundle
.\.venv-bundle\Scripts\python.exe -m pip install -e ".[bundle]"
if ($LASTEXITCODE -ne 0) { throw "installing Dossier and PyInstaller failed" }
.\.venv-bundle\Scripts\python.exe packaging\build.py --no-deb
if ($LASTEXITCODE -ne 0) { throw "PyInstaller failed" }

# The bundle must start: print the version with the console executable.
$version = & .\dist\dossier\dossier.exe --version
if ($LASTEXITCODE -ne 0) { throw "the bundle does not start" }
$number = ($version -split " ")[1]
$arch = if ([Environment]::Is64BitOperatingSystem) { "x64" } else { "x86" }
$zip = "dist\Dossier-$number-windows-$arch.zip"
Compress-Archive -Path dist\dossier -DestinationPath $zip -Force
Write-Output "$version: $zip"
