"""The `footnote` command line of the core: ask, chat, ingest, digest, feeds, eval. Errors are
translated to messages and exit codes here.

Imports: any folder of the core (it is the top)."""
