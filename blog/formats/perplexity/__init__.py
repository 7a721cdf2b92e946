"""Perplexity threads: the thread JSON backup tools save, and Perplexity's own Markdown export."""
