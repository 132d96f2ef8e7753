"""Seed 003, the expansion playbook at renewal: the pre-renewal timeline."""
