"""Importing files: reading a file's conversations, the jobs that hold an upload, and the queue that runs them."""
