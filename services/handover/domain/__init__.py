"""Pure handover rules (issue #4)."""
