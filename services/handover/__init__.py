"""Handover: prison pre-release notices, receipts, must-pick-up key persons, missed intake (安置帮教衔接)."""
