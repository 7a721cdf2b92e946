"""ChatGPT's data export: conversations.json (its mapping tree), chat.html, and content exporters printed."""
