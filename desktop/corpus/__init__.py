"""Looking across the corpus: search with tagging of its hits, events on a timeline, the
actor network and outlets side by side. Qt-free query functions that the window's views
(desktop/ui) draw and the command line prints."""
