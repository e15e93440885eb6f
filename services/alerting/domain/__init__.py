"""Pure alerting rules: no I/O here."""
