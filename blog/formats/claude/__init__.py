"""Anthropic's formats: the Claude.ai data export and Claude Code session logs (with sub-agent runs)."""
