"""Footnote's Telegram-free core: load, clean, chunk, embed, store and search news articles."""
