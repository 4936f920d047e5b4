"""The Telegram bot (added with the bot issue); the only package that imports `telegram`."""
