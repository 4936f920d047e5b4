"""The bot's own state in its database (SQLite by default, PostgreSQL when hosts share it): chats and
their settings, the answer log, the update inbox, shared rate windows and digest subscriptions.

Imports: `bot.retry` and the libraries; no handler, no Telegram update."""
