"""Codex CLI rollout logs, and the findings of its /review mode."""
