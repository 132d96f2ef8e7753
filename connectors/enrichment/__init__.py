"""Enrichment providers: People Data Labs over its API, or an `enrichment.csv` export (ZoomInfo, Clay, ...)."""
