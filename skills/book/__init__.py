"""The whole book at once: its data in one place and the SPEC §3 decisions computed column by column."""
