"""Backtest (SPEC §5): replay the readiness score at past days and check it against the expansions that followed."""
