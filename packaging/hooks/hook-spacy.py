# Dossier's hook for spaCy, in place of PyInstaller's own: the same modules and data (every
# language's tokenizer data, since a blank pipeline of the document's language tokenizes it;
# spaCy imports spacy.lang.XX by name), without spaCy's test suite.
from PyInstaller.utils.hooks import collect_data_files, collect_submodules

datas = collect_data_files("spacy", excludes=["**/tests/**"])
hiddenimports = collect_submodules("spacy", filter=lambda name: ".tests" not in name)
