"""Footnote's Telegram bot: the only package that imports `telegram`."""

import os

# python-telegram-bot 22 warns that durations (retry_after, timeouts) become timedeltas in its
# next major version; opt in now so our code already handles the future type.
os.environ.setdefault("PTB_TIMEDELTA", "1")
