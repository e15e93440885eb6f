"""Pure supervision rules: no I/O here."""
