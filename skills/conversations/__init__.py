"""Conversation evidence: signals read from call transcripts and notes, and the checks that ground them."""
