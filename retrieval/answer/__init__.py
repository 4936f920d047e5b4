"""Answers: the answerer's steps (detect, rewrite, retrieve, decide, ask, check), quotes,
citation support, and digests.

Imports: everything below it (`text/` … `search/`) and the shared nouns."""
