"""Handover: prison pre-release notices, receipts, must-pick-up key persons, missed intake (安置帮教衔接).

Today only the process, probes and database exist; the domain is issue #4.
"""
