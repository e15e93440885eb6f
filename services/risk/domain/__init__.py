"""Pure risk rules (issue #5)."""
