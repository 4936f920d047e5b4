"""Prompt templates live here as data files (added with the answers issue)."""
