"""Importers: one module per format, each a pure function from bytes to plain data."""
