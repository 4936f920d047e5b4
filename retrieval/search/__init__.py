"""Search: a question's passages from dense and keyword candidates, dates and time words, the
coverage gate, and the question translated into the corpus's languages.

Imports: the shared nouns and `text/`, `sources/`, `embedding/`, `index/`, `llm/`."""
