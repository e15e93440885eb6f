"""Pure handover rules (docs/domain.md §2)."""
