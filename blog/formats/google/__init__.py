"""Google's formats: an AI Studio prompt file and the Gemini app's activity from Google Takeout (JSON and HTML)."""
