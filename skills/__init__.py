"""Deterministic calculators, one module per rule of SPEC §3, grouped by the seed skill they serve."""
