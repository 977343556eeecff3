"""Reviewing others' tags, Qt-free: ``compare`` groups annotators' spans into review items,
``adjudicate`` settles them into the gold layer as undoable commands, ``agreement`` measures
how far the annotators agree."""
