"""Seed 002, the account expansion playbook: readiness score, offer, timing, calendar."""
