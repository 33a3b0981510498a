"""Waste detection: baselines of each meter, waste checks, data findings, alerts."""
