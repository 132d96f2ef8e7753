"""Seed 000, the expansion proposal builder: pricing, benchmarks, switching cost."""
