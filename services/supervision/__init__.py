"""Supervision: cases, check-ins, electronic positioning, zones, absconding, aftercare (监管)."""
