"""Usage signals (SPEC §3): active users, utilisation, credential sharing, organic spread, gate hits.

Each rule's SQL lives beside its Python threshold; the SQL runs where the events are (DuckDB over
workspace files, or a SQL warehouse) so raw events never travel to Python.
"""
