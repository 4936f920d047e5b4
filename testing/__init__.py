"""Real fakes and real servers that the tests and the benchmarks share: a deterministic embedder,
an OpenAI-compatible server, a Telegram Bot API server (all on 127.0.0.1, spoken to over HTTP by
the real clients), PostgreSQL and Chroma servers, and small builders. Not shipped with the bot."""
