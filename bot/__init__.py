"""Footnote's Telegram bot: the only package that imports `telegram`."""
