"""Alerts, reports and charts sent to the owner."""
