"""The chat model: a client for any OpenAI-compatible server, the messages built from the prompt
files in `prompts/` (sources fenced as data), and the check of the citations a reply makes.

Imports: the shared nouns and the folders below it (`text/` … `index/`); never the bot."""
