"""Sources: files, directories and URLs (the guarded fetcher) read into documents, and what a
fetched feed or sitemap holds.

Imports: the shared nouns and `text/`. Reads the outside world; writes nothing."""
