"""Helpers for benchmarks/run.py: datasets, a tmux terminal, the UI and CLI scenarios, the report."""
