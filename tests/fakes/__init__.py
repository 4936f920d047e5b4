"""Real fakes for outside services: deterministic embedder, OpenAI-compatible HTTP server."""
