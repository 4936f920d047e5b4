"""Feeds: polling the feeds and sitemaps of the feed table and ingesting what is new.

Imports: the shared nouns, `sources/` and `index/` (and the folders below them)."""
