"""Alerting: four-colour alerts (四色预警), one per cause, deadlines, escalation, disposal."""
