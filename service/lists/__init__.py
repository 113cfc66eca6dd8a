"""Stored responsibility-list versions and the reference data (units, categories, areas) they define."""
