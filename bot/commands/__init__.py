"""Commands beyond a question: owners' corpus and access commands, source channels, group settings,
feeds, digests, reactions as votes, and the deep links that show a cited passage.

Imports: `bot.store`, `bot.services` and the shared helpers of `bot/` (`tg`, `formatting`, …)."""
