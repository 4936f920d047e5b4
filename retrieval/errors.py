"""Errors whose message is safe to show a user; anything else is a bug and gets logged."""


class FootnoteError(Exception):
    """Base: the message explains what went wrong and what to do, without secrets."""


class ConfigError(FootnoteError):
    """A setting is missing or malformed."""


class InputError(FootnoteError):
    """One input (file, record, URL) cannot be ingested; the rest go on."""


class EmbedderMismatchError(FootnoteError):
    """The index was built with another embedder than the one configured."""


class IndexBusyError(FootnoteError):
    """Another process holds the index's write lock."""


class StoreUnavailableError(FootnoteError):
    """The vector store cannot be reached (e.g. the Chroma server is down)."""
