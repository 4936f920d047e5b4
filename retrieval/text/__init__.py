"""Text: cleaning a scraped page into an article, paragraphs and sentences, chunks, scripts and
language detection, numbers, and the analysis keyword search and citation checks share.

Imports: the shared nouns of `retrieval/` only. Pure work on strings: no files, no network."""
