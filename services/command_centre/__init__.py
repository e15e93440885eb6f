"""Command centre (指挥中心): the duty staff's live console and the staff API."""
