"""Index: everything stored and the rules that keep it consistent: the catalog (SQLite or shared
PostgreSQL), the vectors in Chroma, the keyword index, locks, near-duplicates, the feed table,
and every write (ingest, reindex, forget) and listing.

Imports: the shared nouns, `text/`, `sources/` and `embedding/`."""
