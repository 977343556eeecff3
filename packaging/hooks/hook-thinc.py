# Dossier's hook for thinc, in place of PyInstaller's own: the same modules and data (thinc
# finds its layers and backends through its registry), without thinc's test suite.
from PyInstaller.utils.hooks import collect_data_files, collect_submodules

datas = collect_data_files("thinc", excludes=["**/tests/**"])
hiddenimports = collect_submodules("thinc", filter=lambda name: ".tests" not in name)
