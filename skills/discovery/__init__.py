"""Seed 001, expansion discovery: the readiness gate and the expansion ROI."""
