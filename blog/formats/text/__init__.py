"""Conversations as text: Markdown files in their layouts (front matter, speaker markers), and text pasted from a chat page."""
